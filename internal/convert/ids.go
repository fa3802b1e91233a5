package convert

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// ErrEmptyID is returned (wrapped) by TraceID and SpanID when the input is
// the empty string. Test for it with errors.Is.
var ErrEmptyID = errors.New("empty id")

// ErrZeroID is returned (wrapped) by TraceID and SpanID when the input is
// well-formed but every byte of the id is zero, which OpenTelemetry treats as
// "no id". Test for it with errors.Is.
var ErrZeroID = errors.New("all-zero id")

const (
	invalid = 0xFF
	// maxQuoted bounds how much of a bad input is echoed back in errors.
	maxQuoted = 64
)

// unhex maps an ASCII byte to its hex digit value, or invalid.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = invalid
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// unb64 maps an ASCII byte to its base64 digit value in either the standard
// (+/) or the URL (-_) alphabet, or invalid.
var unb64 = func() (t [256]byte) {
	for i := range t {
		t[i] = invalid
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = byte(i)
	}
	t['-'] = 62
	t['_'] = 63
	return t
}()

// TraceID parses a vendor trace id into an OTel trace id. Accepted forms:
//
//   - hex, any case, optionally prefixed with "0x"/"0X"; fewer than 32 digits
//     are left-padded with zeros (an OTel id printed without leading zeros, a
//     64-bit id); more than 32 digits are accepted only if the excess leading
//     digits are all '0';
//   - a canonical dashed UUID (8-4-4-4-12): exactly its 16 bytes;
//   - base64, standard or URL alphabet, padded or not, that decodes to exactly
//     16 bytes (protobuf-JSON renders ids this way). Strings made only of hex
//     digits are always read as hex, never as base64, and base64 must be
//     canonical (unused trailing bits zero).
//
// An empty input returns an error wrapping ErrEmptyID, an all-zero id one
// wrapping ErrZeroID; anything else returns an error naming what the input
// looked like. The success path does not allocate.
func TraceID(s string) (pcommon.TraceID, error) {
	var id [16]byte
	if f, got := parseID(id[:], s); f != ok {
		return pcommon.TraceID{}, idError("trace", s, f, got, len(id))
	}
	return pcommon.TraceID(id), nil
}

// SpanID parses a vendor span id into an OTel span id. Accepted forms:
//
//   - hex, any case, optionally prefixed with "0x"/"0X"; fewer than 16 digits
//     are left-padded with zeros; more than 16 digits are accepted only if the
//     excess leading digits are all '0';
//   - a canonical dashed UUID, or exactly 32 hex digits without "0x" (a UUID
//     without dashes): the LAST 8 bytes of the UUID. Vendors such as Opik and
//     LangSmith use UUIDv7 span ids, whose first 8 bytes are a millisecond
//     timestamp, version bits and only 12 random bits (sibling spans started
//     in the same millisecond share most of them) while the last 8 bytes hold
//     the 2 variant bits and 62 random bits, so the last 8 bytes are the part
//     that keeps span ids unique. LangSmith's OTel-derived run ids also carry
//     the original OTel span id in the last 8 bytes (first 8 bytes zero);
//   - base64, standard or URL alphabet, padded or not, of exactly 8 bytes
//     (canonical: unused trailing bits zero).
//
// An empty input returns an error wrapping ErrEmptyID, an all-zero id (for a
// UUID: zero last 8 bytes) one wrapping ErrZeroID. The success path does not
// allocate.
func SpanID(s string) (pcommon.SpanID, error) {
	var id [8]byte
	if f, got := parseSpanID(&id, s); f != ok {
		return pcommon.SpanID{}, idError("span", s, f, got, len(id))
	}
	return pcommon.SpanID(id), nil
}

// failure classifies why an id did not parse; errors are built from it only
// when the caller wants one, so the *OrHash functions never allocate.
type failure uint8

const (
	ok failure = iota
	failEmpty
	failZero
	fail0xNotHex
	fail0xTooLong
	failHexTooLong
	failUUIDNotHex
	failBase64Len
	failBase64Bits
	failUnknown
)

func parseSpanID(id *[8]byte, s string) (failure, int) {
	if len(s) == 32 && allHex(s) {
		var u [16]byte
		decodeHexRight(u[:], s)
		copy(id[:], u[8:])
		if *id == [8]byte{} {
			return failZero, 0
		}
		return ok, 0
	}
	return parseID(id[:], s)
}

// parseID fills dst (16 or 8 bytes) from s following the rules documented on
// TraceID / SpanID. The int is the decoded length for failBase64Len and the
// digit count for the too-long failures.
func parseID(dst []byte, s string) (failure, int) {
	if s == "" {
		return failEmpty, 0
	}
	n := len(dst)
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		h := s[2:]
		if h == "" || !allHex(h) {
			return fail0xNotHex, 0
		}
		if !fitHex(h, n) {
			return fail0xTooLong, len(h)
		}
		decodeHexRight(dst, trimHex(h, n))
	case allHex(s):
		if !fitHex(s, n) {
			return failHexTooLong, len(s)
		}
		decodeHexRight(dst, trimHex(s, n))
	case isUUIDShape(s):
		u, valid := UUIDBytes(s)
		if !valid {
			return failUUIDNotHex, 0
		}
		copy(dst, u[len(u)-n:]) // whole UUID for trace ids, last 8 bytes for span ids
	default:
		got, filled := decodeBase64(dst, s)
		switch {
		case got < 0:
			return failUnknown, 0
		case !filled && got != n:
			return failBase64Len, got
		case !filled:
			return failBase64Bits, 0
		}
	}
	for _, b := range dst {
		if b != 0 {
			return ok, 0
		}
	}
	return failZero, 0
}

func idError(what, s string, f failure, got, want int) error {
	q := quoteLimit(s)
	switch f {
	case failEmpty:
		return fmt.Errorf("convert: %s id: %w", what, ErrEmptyID)
	case failZero:
		return fmt.Errorf("convert: %s id %q: %w", what, q, ErrZeroID)
	}
	var reason string
	switch f {
	case fail0xNotHex:
		reason = "0x-prefixed value is not hex"
	case fail0xTooLong:
		reason = fmt.Sprintf("0x-prefixed hex of %d digits, want at most %d", got, 2*want)
	case failHexTooLong:
		reason = fmt.Sprintf("hex of %d digits, want at most %d", got, 2*want)
	case failUUIDNotHex:
		reason = "UUID-shaped value with non-hex digits"
	case failBase64Len:
		reason = fmt.Sprintf("base64 value of %d bytes, want %d", got, want)
	case failBase64Bits:
		reason = "non-canonical base64 (unused bits set)"
	default:
		reason = "not hex, UUID or base64"
	}
	return fmt.Errorf("convert: invalid %s id %q: %s", what, q, reason)
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex[s[i]] == invalid {
			return false
		}
	}
	return true
}

// fitHex reports whether the hex string h fits n bytes once leading zero
// digits beyond 2n are dropped.
func fitHex(h string, n int) bool {
	for i := 0; i < len(h)-2*n; i++ {
		if h[i] != '0' {
			return false
		}
	}
	return true
}

func trimHex(h string, n int) string {
	if len(h) > 2*n {
		return h[len(h)-2*n:]
	}
	return h
}

// decodeHexRight decodes the valid hex string h (len(h) <= 2*len(dst)) into
// the right end of dst; dst's leading bytes are zeroed.
func decodeHexRight(dst []byte, h string) {
	clear(dst)
	j := len(dst) - 1
	i := len(h)
	for ; i >= 2; i -= 2 {
		dst[j] = unhex[h[i-2]]<<4 | unhex[h[i-1]]
		j--
	}
	if i == 1 {
		dst[j] = unhex[h[0]]
	}
}

func isUUIDShape(s string) bool {
	return len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-'
}

// UUIDBytes parses a canonical dashed UUID ("xxxxxxxx-xxxx-xxxx-xxxx-
// xxxxxxxxxxxx", hex of any case) and returns its 16 bytes in string order.
// It returns false for any other shape (no braces, no "urn:uuid:", no
// dash-less form: those are other ID formats here). It does not allocate.
func UUIDBytes(s string) ([16]byte, bool) {
	if !isUUIDShape(s) {
		return [16]byte{}, false
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return [16]byte{}, false
	}
	return u, true
}

// UUIDv7Time returns the creation time embedded in a version-7 UUID (its
// first 48 bits, big-endian milliseconds since the Unix epoch), in UTC. It
// returns false when s is not a canonical dashed UUID, when its version
// nibble is not 7, or when its variant is not the RFC 9562 one (10xx).
func UUIDv7Time(s string) (time.Time, bool) {
	u, ok := UUIDBytes(s)
	if !ok || u[6]>>4 != 7 || u[8]&0xC0 != 0x80 {
		return time.Time{}, false
	}
	ms := int64(u[0])<<40 | int64(u[1])<<32 | int64(u[2])<<24 | int64(u[3])<<16 | int64(u[4])<<8 | int64(u[5])
	return time.UnixMilli(ms).UTC(), true
}

// decodeBase64 decodes s (standard or URL alphabet, optional '=' padding)
// into dst when it decodes to exactly len(dst) bytes. It returns the decoded
// length (-1 when s is not base64 at all) and whether dst was filled. Unused
// trailing bits must be zero (canonical encoding), which keeps the mapping
// from strings to ids one-to-one.
func decodeBase64(dst []byte, s string) (int, bool) {
	body := s
	if len(body)%4 == 0 {
		for k := 0; k < 2 && len(body) > 0 && body[len(body)-1] == '='; k++ {
			body = body[:len(body)-1]
		}
	}
	if body == "" || len(body)%4 == 1 {
		return -1, false
	}
	for i := 0; i < len(body); i++ {
		if unb64[body[i]] == invalid {
			return -1, false
		}
	}
	n := len(body) * 6 / 8
	if n != len(dst) {
		return n, false
	}
	j := 0
	i := 0
	for ; i+4 <= len(body); i += 4 {
		v := uint32(unb64[body[i]])<<18 | uint32(unb64[body[i+1]])<<12 | uint32(unb64[body[i+2]])<<6 | uint32(unb64[body[i+3]])
		dst[j], dst[j+1], dst[j+2] = byte(v>>16), byte(v>>8), byte(v) //nolint:gosec // 24-bit group split into bytes
		j += 3
	}
	switch len(body) - i {
	case 2:
		v := uint32(unb64[body[i]])<<6 | uint32(unb64[body[i+1]])
		if v&0x0F != 0 {
			return n, false
		}
		dst[j] = byte(v >> 4) //nolint:gosec // 12-bit group, low 4 bits zero
	case 3:
		v := uint32(unb64[body[i]])<<12 | uint32(unb64[body[i+1]])<<6 | uint32(unb64[body[i+2]])
		if v&0x03 != 0 {
			return n, false
		}
		dst[j], dst[j+1] = byte(v>>10), byte(v>>2) //nolint:gosec // 18-bit group, low 2 bits zero
	}
	return n, true
}

// hashStackLimit is the largest joined input hashed from a stack buffer;
// longer inputs stream through a heap-allocated sha256 digest.
const hashStackLimit = 256

// hashInto writes the first len(dst) bytes of SHA-256(parts joined by a
// single 0x00 byte) into dst, then forces a non-zero id.
func hashInto(dst []byte, scope []string, last string, withLast bool) {
	total := 0
	count := len(scope)
	for _, p := range scope {
		total += len(p)
	}
	if withLast {
		total += len(last)
		count++
	}
	if count > 1 {
		total += count - 1
	}
	var sum [sha256.Size]byte
	if total <= hashStackLimit {
		var buf [hashStackLimit]byte
		b := buf[:0]
		for i, p := range scope {
			if i > 0 {
				b = append(b, 0)
			}
			b = append(b, p...)
		}
		if withLast {
			if len(scope) > 0 {
				b = append(b, 0)
			}
			b = append(b, last...)
		}
		sum = sha256.Sum256(b)
	} else {
		h := sha256.New()
		for i, p := range scope {
			if i > 0 {
				h.Write([]byte{0})
			}
			writeString(h, p)
		}
		if withLast {
			if len(scope) > 0 {
				h.Write([]byte{0})
			}
			writeString(h, last)
		}
		h.Sum(sum[:0])
	}
	copy(dst, sum[:])
	fixZero(dst)
}

// fixZero sets the last byte of an all-zero id to 1.
func fixZero(dst []byte) {
	for _, b := range dst {
		if b != 0 {
			return
		}
	}
	dst[len(dst)-1] = 1
}

// writeString feeds s to h in bounded chunks, avoiding a []byte copy of a
// long string.
func writeString(h hash.Hash, s string) {
	var chunk [512]byte
	for len(s) > 0 {
		n := copy(chunk[:], s)
		h.Write(chunk[:n])
		s = s[n:]
	}
}

// HashTraceID derives a deterministic trace id for vendors whose ids are not
// parseable: the id is the first 16 bytes of SHA-256 over the parts joined
// with a single 0x00 byte between consecutive parts (no leading or trailing
// separator; zero parts hash the empty input). If those 16 bytes are all
// zero (probability 2^-128) the last byte is set to 0x01 so the id is valid.
// Example: HashTraceID("langwatch", "trace_abc") = first 16 bytes of
// SHA-256("langwatch\x00trace_abc").
func HashTraceID(parts ...string) pcommon.TraceID {
	var id [16]byte
	hashInto(id[:], parts, "", false)
	return pcommon.TraceID(id)
}

// HashSpanID derives a deterministic span id: the first 8 bytes of SHA-256
// over the parts joined with a single 0x00 byte between consecutive parts
// (same rule as HashTraceID). If those 8 bytes are all zero (probability
// 2^-64) the last byte is set to 0x01.
func HashSpanID(parts ...string) pcommon.SpanID {
	var id [8]byte
	hashInto(id[:], parts, "", false)
	return pcommon.SpanID(id)
}

// TraceIDOrHash returns TraceID(s) when s parses, otherwise
// HashTraceID(scope..., s), i.e. the hash of the scope parts followed by s
// itself. Use the scope (vendor name, project id, ...) to keep hashed ids of
// different sources apart. Note that an empty or all-zero s is hashed too:
// callers that treat "" as "no id" (e.g. a root span's parent) must check
// for it first.
func TraceIDOrHash(s string, scope ...string) pcommon.TraceID {
	var id [16]byte
	if f, _ := parseID(id[:], s); f == ok {
		return pcommon.TraceID(id)
	}
	hashInto(id[:], scope, s, true)
	return pcommon.TraceID(id)
}

// SpanIDOrHash returns SpanID(s) when s parses, otherwise
// HashSpanID(scope..., s). As with TraceIDOrHash, an empty or all-zero s is
// hashed rather than rejected.
func SpanIDOrHash(s string, scope ...string) pcommon.SpanID {
	var id [8]byte
	if f, _ := parseSpanID(&id, s); f == ok {
		return pcommon.SpanID(id)
	}
	hashInto(id[:], scope, s, true)
	return pcommon.SpanID(id)
}
