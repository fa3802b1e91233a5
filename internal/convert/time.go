package convert

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// EpochUnit is the unit of a numeric epoch timestamp or duration.
type EpochUnit int

// The epoch units. The zero value is Seconds; values outside these four
// constants are treated as Seconds.
const (
	Seconds EpochUnit = iota
	Milliseconds
	Microseconds
	Nanoseconds
)

// String returns the unit symbol: "s", "ms", "us" or "ns".
func (u EpochUnit) String() string {
	switch u {
	case Milliseconds:
		return "ms"
	case Microseconds:
		return "us"
	case Nanoseconds:
		return "ns"
	default:
		return "s"
	}
}

// perSecond returns how many units make one second.
func (u EpochUnit) perSecond() int64 {
	switch u {
	case Milliseconds:
		return 1e3
	case Microseconds:
		return 1e6
	case Nanoseconds:
		return 1e9
	default:
		return 1
	}
}

// nanos returns how many nanoseconds one unit is.
func (u EpochUnit) nanos() int64 { return 1e9 / u.perSecond() }

// fracDigits is how many decimal fraction digits of a value in unit u are
// still above nanosecond resolution.
func (u EpochUnit) fracDigits() int {
	switch u {
	case Milliseconds:
		return 6
	case Microseconds:
		return 3
	case Nanoseconds:
		return 0
	default:
		return 9
	}
}

// GuessEpochUnit returns the unit EpochGuess assumes for a value of the given
// magnitude (sign ignored): below 1e11 seconds (1e11 s is the year 5138),
// below 1e14 milliseconds (1e11 ms is March 1973), below 1e17 microseconds,
// otherwise nanoseconds.
func GuessEpochUnit(v float64) EpochUnit {
	v = math.Abs(v)
	switch {
	case v < 1e11:
		return Seconds
	case v < 1e14:
		return Milliseconds
	case v < 1e17:
		return Microseconds
	default:
		return Nanoseconds
	}
}

// EpochGuess converts a Unix epoch number of unknown unit into a UTC time,
// choosing the unit by magnitude (see GuessEpochUnit): |v| < 1e11 seconds,
// < 1e14 milliseconds, < 1e17 microseconds, otherwise nanoseconds. This is
// unambiguous for any date between March 1973 and the year 5138. NaN and
// infinities give the zero time.
func EpochGuess(v float64) time.Time {
	return FromEpoch(v, GuessEpochUnit(v))
}

// FromEpoch converts a (possibly fractional) Unix epoch value in the given
// unit into a UTC time, rounded to the nearest nanosecond. Float64 carries
// about 16 significant digits, so e.g. seconds with 9 fraction digits lose
// the last digits; use FromEpochInt or ParseTime on the decimal string for
// exact results. NaN, infinities and values beyond the int64 range give the
// zero time.
func FromEpoch(v float64, unit EpochUnit) time.Time {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return time.Time{}
	}
	whole := math.Trunc(v)
	if math.Abs(whole) >= 9.2e18 {
		return time.Time{}
	}
	w := int64(whole)
	per := unit.perSecond()
	ns := unit.nanos()
	sec, rem := w/per, w%per
	nsec := rem*ns + int64(math.Round((v-whole)*float64(ns)))
	return time.Unix(sec, nsec).UTC()
}

// FromEpochInt converts an integer Unix epoch value in the given unit into a
// UTC time, exactly (no float rounding, no overflow for any int64).
func FromEpochInt(v int64, unit EpochUnit) time.Time {
	per := unit.perSecond()
	sec, rem := v/per, v%per
	return time.Unix(sec, rem*unit.nanos()).UTC()
}

// Timestamp converts t to a pdata timestamp (nanoseconds since the Unix
// epoch). The zero time, and any time before the Unix epoch (which a
// pcommon.Timestamp cannot represent), give 0, which OTLP reads as "unset".
func Timestamp(t time.Time) pcommon.Timestamp {
	if t.IsZero() {
		return 0
	}
	ns := t.UnixNano()
	if ns <= 0 {
		return 0
	}
	return pcommon.Timestamp(ns)
}

// fallbackLayouts are tried with time.Parse when the fast path fails.
var fallbackLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700 MST", // Go's time.Time.String()
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseTime parses a vendor timestamp string into a UTC time with full
// nanosecond precision:
//
//   - ISO-8601 / RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fraction][zone]" with 0 to 9
//     fraction digits (extra digits are truncated), 'T', 't' or a space
//     between date and time, and zone "Z", "±hh:mm", "±hhmm", "±hh" or none;
//     a timestamp without zone (e.g. LangSmith's "2024-04-29T00:49:12.090000")
//     is taken as UTC;
//   - a few less common shapes via time.Parse: date only ("2006-01-02",
//     midnight UTC), minutes without seconds, "... MST" zone abbreviations,
//     Go's time.String format, RFC 1123;
//   - a string of digits, optionally with a decimal fraction, as a Unix epoch
//     whose unit is guessed by magnitude as in EpochGuess; the conversion is
//     exact (no float rounding).
//
// Leading and trailing spaces are ignored. The common ISO shape is parsed
// without time.Parse and without allocating.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok := parseISO(s); ok {
		return t, nil
	}
	if s == "" {
		return time.Time{}, errors.New("convert: empty timestamp")
	}
	if t, ok := parseEpochDecimal(s); ok {
		return t, nil
	}
	for _, layout := range fallbackLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("convert: unrecognised timestamp %q", quoteLimit(s))
}

func quoteLimit(s string) string {
	if len(s) > maxQuoted {
		return s[:maxQuoted] + "..."
	}
	return s
}

func digits2(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	if a > 9 || b > 9 {
		return 0, false
	}
	return int(a)*10 + int(b), true
}

var pow10 = [...]int{1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// parseISO is the allocation-free fast path for
// YYYY-MM-DD[Tt ]HH:MM:SS(.f+)?(Z|z|±hh(:?mm)?)?.
func parseISO(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return time.Time{}, false
	}
	yh, ok1 := digits2(s, 0)
	yl, ok2 := digits2(s, 2)
	mo, ok3 := digits2(s, 5)
	d, ok4 := digits2(s, 8)
	h, ok5 := digits2(s, 11)
	mi, ok6 := digits2(s, 14)
	se, ok7 := digits2(s, 17)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 {
		return time.Time{}, false
	}
	y := yh*100 + yl
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || se > 59 {
		return time.Time{}, false
	}
	i := 19
	ns := 0
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-start < 9 {
				ns = ns*10 + int(s[i]-'0')
			}
			i++
		}
		n := i - start
		if n == 0 {
			return time.Time{}, false
		}
		if n < 9 {
			ns *= pow10[9-n]
		}
	}
	offset := 0
	if i < len(s) {
		switch s[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := 1
			if s[i] == '-' {
				sign = -1
			}
			rest := s[i+1:]
			var oh, om int
			var ok bool
			switch {
			case len(rest) == 2:
				oh, ok = digits2(rest, 0)
			case len(rest) == 4:
				oh, ok = digits2(rest, 0)
				var ok2 bool
				om, ok2 = digits2(rest, 2)
				ok = ok && ok2
			case len(rest) == 5 && rest[2] == ':':
				oh, ok = digits2(rest, 0)
				var ok2 bool
				om, ok2 = digits2(rest, 3)
				ok = ok && ok2
			}
			if !ok || oh > 23 || om > 59 {
				return time.Time{}, false
			}
			offset = sign * (oh*3600 + om*60)
			i = len(s)
		default:
			return time.Time{}, false
		}
	}
	if i != len(s) {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, ns, time.UTC)
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t, true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// splitDecimal splits an unsigned decimal "123" or "123.456" into its
// integer and fraction digit strings. ok is false for anything else.
func splitDecimal(s string) (intPart, frac string, ok bool) {
	dot := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && dot < 0:
			dot = i
		default:
			return "", "", false
		}
	}
	if dot < 0 {
		return s, "", s != ""
	}
	intPart, frac = s[:dot], s[dot+1:]
	return intPart, frac, intPart != "" && frac != ""
}

// fracValue converts the first digits of a decimal fraction into an integer
// count of 10^-digits units (truncating further digits).
func fracValue(frac string, digits int) int64 {
	var v int64
	for i := 0; i < digits; i++ {
		v *= 10
		if i < len(frac) {
			v += int64(frac[i] - '0')
		}
	}
	return v
}

// parseEpochDecimal reads an unsigned decimal epoch string exactly.
func parseEpochDecimal(s string) (time.Time, bool) {
	intPart, frac, ok := splitDecimal(s)
	if !ok {
		return time.Time{}, false
	}
	iv, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	unit := GuessEpochUnit(float64(iv))
	t := FromEpochInt(iv, unit)
	if fd := unit.fracDigits(); fd > 0 && frac != "" {
		t = t.Add(time.Duration(fracValue(frac, fd)))
	}
	return t, true
}
