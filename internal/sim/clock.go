package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"sync"
	"time"
)

// Clock is the simulated time. What a vendor part serves follows from the
// dataset and Now: traces appear once their spans are Visible, in-progress
// roots end at End, late spans show up after their delay.
type Clock interface {
	Now() time.Time
}

// WallClock is the real time.
type WallClock struct{}

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }

// ManualClock is a clock tests move by hand. The zero value reads the zero
// time. It is safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a ManualClock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t (also backwards).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (c *ManualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// LiveClock runs the simulated time from Origin at Speed times the real time
// elapsed since Start: sim time = Origin + (now - Start) * Speed. With a
// dataset placed by DatasetConfig.PlaceLive, traces keep appearing as real
// time passes.
type LiveClock struct {
	// Start is the real instant the simulated time was Origin.
	Start time.Time
	// Origin is the simulated time at Start.
	Origin time.Time
	// Speed is how many simulated seconds pass per real second; zero or
	// less means 1.
	Speed float64
}

// NewLiveClock returns a LiveClock whose simulated time is origin now and
// runs at speed.
func NewLiveClock(origin time.Time, speed float64) *LiveClock {
	return &LiveClock{Start: time.Now(), Origin: origin, Speed: speed}
}

// Now returns the simulated time.
func (c *LiveClock) Now() time.Time {
	elapsed := time.Since(c.Start)
	if c.Speed > 0 && c.Speed != 1 {
		elapsed = time.Duration(float64(elapsed) * c.Speed)
	}
	return c.Origin.Add(elapsed)
}
