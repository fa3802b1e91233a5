package llmtracereceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestFaultMatrix runs every registered vendor's main scenario with the
// faults a production collector meets on top of the vendor's own: storage
// that fails every fifth write and the first read of every start, a
// restart that raises overlap and halves page_size, a vendor that
// redirects some requests to another port of the same host, and a host
// clock two minutes behind the vendor's. Nothing may be lost or
// duplicated, no request may reach the redirect target, and the API key
// may appear in no log line at debug level.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("every vendor against its simulator with storage, config, redirect and clock faults; about 45 s per vendor")
	}
	for _, part := range registeredParts(t) {
		scenarios := part.Scenarios()
		require.NotEmpty(t, scenarios, "vendor %s has no scenario", part.Name())
		sc := scenarios[0]
		t.Run(part.Name(), func(t *testing.T) {
			if sc.Part == nil {
				sc.Part = part
			}
			var trapped atomic.Int64
			trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				trapped.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			defer trap.Close()
			sc.Faults = append(append([]string(nil), sc.Faults...), part.Name()+":*:redirect:first=4,to="+trap.URL)

			logs, observed := observer.New(zapcore.DebugLevel)
			m := &matrix{
				logger:      zap.New(logs),
				clockOffset: -2 * time.Minute,
				storage:     func(c storage.Client) storage.Client { return &faultyStorage{Client: c} },
				atRestart: func(c *Config, block map[string]any) {
					c.Overlap += 10 * time.Minute
					if ps, ok := block["page_size"].(int); ok {
						block["page_size"] = max(ps/2, 1)
					}
				},
			}
			creds := runExactlyOnce(t, sc, m)

			assert.Zero(t, trapped.Load(), "a request followed a redirect off the vendor's endpoint")
			assert.NotZero(t, m.storageFaults.Load(), "storage faults were injected")
			leaks := 0
			for _, e := range observed.All() {
				line := e.Message + fmt.Sprint(e.ContextMap())
				if strings.Contains(line, creds.APIKey) {
					leaks++
					t.Errorf("the API key is in a log line: %s", line)
				}
			}
			t.Logf("%d log lines at debug level, none with the key; %d storage faults injected", observed.Len(), m.storageFaults.Load())
			_ = leaks
		})
	}
}

// matrix is what TestFaultMatrix adds to a scenario run.
type matrix struct {
	logger      *zap.Logger
	clockOffset time.Duration
	// storage wraps every storage client the receiver gets.
	storage func(storage.Client) storage.Client
	// atRestart changes the configuration (and the vendor block) of the
	// last restart.
	atRestart     func(*Config, map[string]any)
	storageFaults atomic.Int64
}

// host returns a storage host whose extension wraps its clients.
func (m *matrix) host(dir string) component.Host {
	inner := storagetest.NewFileBackedStorageExtension("sim", dir)
	return storagetest.NewStorageHost().WithExtension(storagetest.NewStorageID("sim"), &wrappedStorage{TestStorage: inner, m: m})
}

type wrappedStorage struct {
	*storagetest.TestStorage
	m *matrix
}

func (w *wrappedStorage) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := w.TestStorage.GetClient(ctx, kind, id, name)
	if err != nil {
		return nil, err
	}
	fc := w.m.storage(c)
	if f, ok := fc.(*faultyStorage); ok {
		f.count = &w.m.storageFaults
	}
	return fc, nil
}

// faultyStorage fails every fifth Batch and the first Get.
type faultyStorage struct {
	storage.Client
	mu            sync.Mutex
	batches, gets int
	count         *atomic.Int64
}

func (f *faultyStorage) fail() error {
	if f.count != nil {
		f.count.Add(1)
	}
	return fmt.Errorf("injected storage fault")
}

func (f *faultyStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	f.mu.Lock()
	f.batches++
	n := f.batches
	f.mu.Unlock()
	if n%5 == 0 {
		return f.fail()
	}
	return f.Client.Batch(ctx, ops...)
}

func (f *faultyStorage) Get(ctx context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	f.gets++
	n := f.gets
	f.mu.Unlock()
	if n == 1 {
		return nil, f.fail()
	}
	return f.Client.Get(ctx, key)
}
