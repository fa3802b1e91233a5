package convert

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

// epochBase is 2024-08-06T13:25:30Z = 1722950730 s.
var epochBase = utc(2024, 8, 6, 13, 25, 30, 0)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		// Langtrace python path: microsecond ISO with Z.
		{in: "2024-08-08T21:25:30.275984Z", want: utc(2024, 8, 8, 21, 25, 30, 275984000)},
		// LangSmith v1: naive ISO means UTC.
		{in: "2024-04-29T00:49:12.090000", want: utc(2024, 4, 29, 0, 49, 12, 90000000)},
		// Same instant with an offset.
		{in: "2024-04-29T02:49:12.090000+02:00", want: utc(2024, 4, 29, 0, 49, 12, 90000000)},
		{in: "2024-04-29T00:49:12.123456789-05:30", want: utc(2024, 4, 29, 6, 19, 12, 123456789)},
		{in: "2024-04-29T00:49:12.123456789+0530", want: utc(2024, 4, 28, 19, 19, 12, 123456789)},
		{in: "2024-04-29T00:49:12+05", want: utc(2024, 4, 28, 19, 49, 12, 0)},
		{in: "2024-04-29T00:49:12+00:00", want: utc(2024, 4, 29, 0, 49, 12, 0)},
		{in: "2024-04-29T00:49:12-00:00", want: utc(2024, 4, 29, 0, 49, 12, 0)},
		// Precision: 0..9 digits, extra digits truncated.
		{in: "2024-01-15T09:30:00Z", want: utc(2024, 1, 15, 9, 30, 0, 0)},
		{in: "2024-01-15T09:30:00.1Z", want: utc(2024, 1, 15, 9, 30, 0, 100000000)},
		{in: "2025-01-15T12:00:01.500Z", want: utc(2025, 1, 15, 12, 0, 1, 500000000)},
		{in: "2024-01-15T09:30:00.000000001Z", want: utc(2024, 1, 15, 9, 30, 0, 1)},
		{in: "2024-01-15T09:30:00.1234567891Z", want: utc(2024, 1, 15, 9, 30, 0, 123456789)},
		// Separators and case.
		{in: "2024-08-08 21:25:30.275984", want: utc(2024, 8, 8, 21, 25, 30, 275984000)},
		{in: "2024-08-08t21:25:30.275984z", want: utc(2024, 8, 8, 21, 25, 30, 275984000)},
		{in: "2024-08-08T21:25:30,5Z", want: utc(2024, 8, 8, 21, 25, 30, 500000000)},
		{in: "  2024-08-08T21:25:30Z\n", want: utc(2024, 8, 8, 21, 25, 30, 0)},
		{in: "2024-02-29T23:59:59Z", want: utc(2024, 2, 29, 23, 59, 59, 0)},
		{in: "2000-02-29T00:00:00Z", want: utc(2000, 2, 29, 0, 0, 0, 0)},
		// Fallback shapes.
		{in: "2024-08-08", want: utc(2024, 8, 8, 0, 0, 0, 0)},
		{in: "2024-08-08T21:25", want: utc(2024, 8, 8, 21, 25, 0, 0)},
		{in: "2024-08-08T21:25+01:00", want: utc(2024, 8, 8, 20, 25, 0, 0)},
		{in: "2024-08-08 21:25:30.5 +0200 CEST", want: utc(2024, 8, 8, 19, 25, 30, 500000000)},
		{in: "2024-08-08 21:25:30 UTC", want: utc(2024, 8, 8, 21, 25, 30, 0)},
		{in: "Thu, 08 Aug 2024 21:25:30 GMT", want: utc(2024, 8, 8, 21, 25, 30, 0)},
		// Epoch strings, unit by magnitude, exact.
		{in: "1722950730", want: epochBase},
		{in: "1722950730.275984", want: epochBase.Add(275984 * time.Microsecond)},
		{in: "1722950730.123456789999", want: epochBase.Add(123456789)},
		{in: "1722950730275", want: epochBase.Add(275 * time.Millisecond)},
		{in: "1722950730275.984", want: epochBase.Add(275984 * time.Microsecond)},
		{in: "1722950730275984", want: epochBase.Add(275984 * time.Microsecond)},
		{in: "1722950730275984.5", want: epochBase.Add(275984500)},
		{in: "1722950730275984123", want: epochBase.Add(275984123)},
		{in: "0", want: time.Unix(0, 0).UTC()},

		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: "yesterday", wantErr: true},
		{in: "2023-02-29T00:00:00Z", wantErr: true},
		{in: "2024-13-01T00:00:00Z", wantErr: true},
		{in: "2024-01-01T24:00:00Z", wantErr: true},
		{in: "2024-01-01T00:60:00Z", wantErr: true},
		{in: "2024-01-01T00:00:00.Z", wantErr: true},
		{in: "2024-01-01T00:00:00+5:00", wantErr: true},
		{in: "2024-01-01T00:00:00Zjunk", wantErr: true},
		{in: "1722950730.", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "-1722950730", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseTime(%q) = %v, want error", tt.in, got)
				}
				if !got.IsZero() {
					t.Errorf("ParseTime(%q) returned %v with error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q) error: %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q) = %s, want %s", tt.in, got.Format(time.RFC3339Nano), tt.want.Format(time.RFC3339Nano))
			}
			if got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) location = %v, want UTC", tt.in, got.Location())
			}
		})
	}
}

func TestParseTimeFastPathAgreesWithTimeParse(t *testing.T) {
	inputs := []string{
		"2024-08-08T21:25:30.275984Z",
		"1999-12-31T23:59:59.999999999+14:00",
		"2024-04-29T00:49:12.090000-11:45",
		"0001-01-01T00:00:00Z",
		"9999-12-31T23:59:59.5Z",
	}
	for _, in := range inputs {
		fast, ok := parseISO(in)
		if !ok {
			t.Errorf("parseISO(%q) rejected", in)
			continue
		}
		slow, err := time.Parse(time.RFC3339Nano, in)
		if err != nil {
			t.Fatal(err)
		}
		if !fast.Equal(slow) {
			t.Errorf("parseISO(%q) = %v, time.Parse = %v", in, fast, slow)
		}
	}
}

func TestParseTimeDoesNotAllocate(t *testing.T) {
	for _, in := range []string{"2024-08-08T21:25:30.275984Z", "2024-04-29T00:49:12.090000+02:00", "1722950730275"} {
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseTime(in) }); n != 0 {
			t.Errorf("ParseTime(%q) allocates %v times", in, n)
		}
	}
}

func TestGuessAndEpoch(t *testing.T) {
	tests := []struct {
		v    float64
		unit EpochUnit
		want time.Time
	}{
		{v: 1722950730, unit: Seconds, want: epochBase},
		{v: 1722950730.5, unit: Seconds, want: epochBase.Add(500 * time.Millisecond)},
		{v: 1722950730275, unit: Milliseconds, want: epochBase.Add(275 * time.Millisecond)},
		{v: 1722950730275.5, unit: Milliseconds, want: epochBase.Add(275500 * time.Microsecond)},
		{v: 1722950730275984, unit: Microseconds, want: epochBase.Add(275984 * time.Microsecond)},
		{v: 1722950730275983872, unit: Nanoseconds, want: epochBase.Add(275983872)}, // exactly representable
		{v: 0, unit: Seconds, want: time.Unix(0, 0).UTC()},
		{v: 99999999999, unit: Seconds, want: time.Unix(99999999999, 0).UTC()},
		{v: 1e11, unit: Milliseconds, want: time.UnixMilli(1e11).UTC()},
		{v: 1e14, unit: Microseconds, want: time.UnixMicro(1e14).UTC()},
		{v: 1e17, unit: Nanoseconds, want: time.Unix(0, 1e17).UTC()},
		{v: -1.5, unit: Seconds, want: time.Unix(-2, 500_000_000).UTC()},
	}
	for _, tt := range tests {
		if u := GuessEpochUnit(tt.v); u != tt.unit {
			t.Errorf("GuessEpochUnit(%v) = %v, want %v", tt.v, u, tt.unit)
		}
		got := EpochGuess(tt.v)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("EpochGuess(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e30} {
		if got := EpochGuess(bad); !got.IsZero() {
			t.Errorf("EpochGuess(%v) = %v, want zero time", bad, got)
		}
	}
}

func TestFromEpochUnits(t *testing.T) {
	tests := []struct {
		name string
		f    float64
		i    int64
		unit EpochUnit
		want time.Time
	}{
		{name: "seconds", f: 1722950730, i: 1722950730, unit: Seconds, want: epochBase},
		{name: "millis", f: 1722950730275, i: 1722950730275, unit: Milliseconds, want: epochBase.Add(275 * time.Millisecond)},
		{name: "micros", f: 1722950730275984, i: 1722950730275984, unit: Microseconds, want: epochBase.Add(275984 * time.Microsecond)},
		{name: "nanos", f: 1722950730275984000, i: 1722950730275984123, unit: Nanoseconds, want: epochBase.Add(275984123)},
		{name: "small seconds forced ms", f: 5000, i: 5000, unit: Milliseconds, want: time.Unix(5, 0).UTC()},
		{name: "negative millis", f: -1500, i: -1500, unit: Milliseconds, want: time.Unix(-2, 500_000_000).UTC()},
		{name: "unknown unit is seconds", f: 10, i: 10, unit: EpochUnit(42), want: time.Unix(10, 0).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotI := FromEpochInt(tt.i, tt.unit)
			if !gotI.Equal(tt.want) || gotI.Location() != time.UTC {
				t.Errorf("FromEpochInt(%d, %v) = %v, want %v", tt.i, tt.unit, gotI, tt.want)
			}
			gotF := FromEpoch(tt.f, tt.unit)
			// Floats are exact here except the ns case (float64 has ~16 digits).
			if d := gotF.Sub(tt.want); d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("FromEpoch(%v, %v) = %v, want %v", tt.f, tt.unit, gotF, tt.want)
			}
		})
	}
	// FromEpochInt is exact across the whole int64 range for ns.
	if got := FromEpochInt(math.MaxInt64, Nanoseconds); got.UnixNano() != math.MaxInt64 {
		t.Errorf("FromEpochInt(MaxInt64, ns) = %v", got)
	}
	if got := FromEpochInt(math.MaxInt64, Seconds); got.Unix() != math.MaxInt64 {
		t.Errorf("FromEpochInt(MaxInt64, s) = %v", got)
	}
	if s := Milliseconds.String(); s != "ms" {
		t.Errorf("Milliseconds.String() = %q", s)
	}
}

func TestTimestamp(t *testing.T) {
	tests := []struct {
		in   time.Time
		want pcommon.Timestamp
	}{
		{in: time.Time{}, want: 0},
		{in: utc(2024, 8, 8, 21, 25, 30, 275984000), want: 1723152330275984000},
		{in: time.Unix(0, 1), want: 1},
		{in: time.Unix(0, 0), want: 0},
		{in: time.Unix(-10, 0), want: 0},
		{in: time.Date(2024, 8, 8, 23, 25, 30, 275984000, time.FixedZone("", 7200)), want: 1723152330275984000},
	}
	for _, tt := range tests {
		if got := Timestamp(tt.in); got != tt.want {
			t.Errorf("Timestamp(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
