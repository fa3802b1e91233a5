package langwatch

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	jsoniter "github.com/json-iterator/go"
	"net/http"
	"strconv"
	"strings"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// Page tokens. The engine persists them, so each is self-contained:
//
//	""                       the query's first page, in the server's mode
//	"s:<scrollId>"           the next page of a POST /api/traces/search scroll
//	"c:<startMs>:<notBefore>" a new scroll from startMs (the previous one's
//	                         updatedThrough), not before the receiver's
//	                         clock reads notBefore (Unix ms)
//	"l:<a>:<w>"              legacy: the start-time window [a, a+w] (ms)
//	"l:<a>:0:<traceId>"      legacy: the traces of millisecond a after traceId
type tokenKind uint8

const (
	tokFirst tokenKind = iota
	tokScroll
	tokContinue
	tokWindow
)

type token struct {
	kind tokenKind
	// scroll is the scrollId (tokScroll).
	scroll string
	// start and notBefore (tokContinue).
	start, notBefore int64
	// a, w and after (tokWindow).
	a, w  int64
	after string
}

func scrollToken(scrollID string) string { return "s:" + scrollID }

func continueToken(start, notBefore int64) string {
	return "c:" + strconv.FormatInt(start, 10) + ":" + strconv.FormatInt(notBefore, 10)
}

func windowToken(a, w int64, after string) string {
	t := "l:" + strconv.FormatInt(a, 10) + ":" + strconv.FormatInt(w, 10)
	if after != "" {
		t += ":" + after
	}
	return t
}

// parseToken reads a page token; a malformed one wraps poll.ErrInvalidToken.
func parseToken(s string) (token, error) {
	bad := func() (token, error) {
		return token{}, fmt.Errorf("langwatch: page token %q: %w", s, poll.ErrInvalidToken)
	}
	if s == "" {
		return token{kind: tokFirst}, nil
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad()
	}
	switch kind {
	case "s":
		if rest == "" {
			return bad()
		}
		return token{kind: tokScroll, scroll: rest}, nil
	case "c":
		parts := strings.Split(rest, ":")
		if len(parts) != 2 {
			return bad()
		}
		start, err1 := strconv.ParseInt(parts[0], 10, 64)
		nb, err2 := strconv.ParseInt(parts[1], 10, 64)
		if err1 != nil || err2 != nil {
			return bad()
		}
		return token{kind: tokContinue, start: start, notBefore: nb}, nil
	case "l":
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) < 2 {
			return bad()
		}
		a, err1 := strconv.ParseInt(parts[0], 10, 64)
		w, err2 := strconv.ParseInt(parts[1], 10, 64)
		if err1 != nil || err2 != nil || w < 0 {
			return bad()
		}
		t := token{kind: tokWindow, a: a, w: w}
		if len(parts) == 3 {
			if w != 0 || parts[2] == "" {
				return bad()
			}
			t.after = parts[2]
		}
		return t, nil
	}
	return bad()
}

// cursor is LangWatch's scrollId: base64 of the JSON of the last row's
// position and the parameters the scroll is valid for.
type cursor struct {
	LastTimestamp *int64 `json:"lastTimestamp"`
	LastTraceID   string `json:"lastTraceId"`
	PageSize      int    `json:"pageSize"`
	SortDirection string `json:"sortDirection"`
	DateField     string `json:"dateField,omitempty"`
	ScrollStart   *int64 `json:"scrollStart,omitempty"`
}

// decodeCursor reads a scrollId; ok is false when it is not in the format
// the source knows (then it is passed on as it is).
func decodeCursor(scrollID string) (cursor, bool) {
	var c cursor
	raw, err := base64.StdEncoding.DecodeString(scrollID)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.LastTimestamp == nil {
		return cursor{}, false
	}
	return c, true
}

// encodeCursor writes a scrollId the way LangWatch does.
func encodeCursor(c cursor) string {
	raw, _ := json.Marshal(c)
	return base64.StdEncoding.EncodeToString(raw)
}

// checkCursor refuses a scrollId minted for other parameters than the
// source sends: LangWatch would silently restart the scroll at page 1.
func checkCursor(scrollID string, pageSize int) error {
	c, ok := decodeCursor(scrollID)
	if !ok {
		return nil
	}
	if c.PageSize != pageSize || c.SortDirection != sortAscending || c.DateField != "updated" {
		return fmt.Errorf("langwatch: the scroll cursor was minted for pageSize %d, sortDirection %q, dateField %q: %w",
			c.PageSize, c.SortDirection, c.DateField, poll.ErrInvalidToken)
	}
	return nil
}

// checkProgress makes sure a scroll moves forward: the cursor of the next
// page must be past the one sent (ascending order). A server that ignored
// the cursor restarted the scroll, and following it would loop.
func checkProgress(sent, next string) error {
	if sent == "" {
		return nil
	}
	a, okA := decodeCursor(sent)
	b, okB := decodeCursor(next)
	if !okA || !okB {
		return nil
	}
	if *b.LastTimestamp > *a.LastTimestamp || (*b.LastTimestamp == *a.LastTimestamp && b.LastTraceID > a.LastTraceID) {
		return nil
	}
	return fmt.Errorf("langwatch: the server ignored the scroll cursor (next cursor %d/%s is not past %d/%s); "+
		"is a proxy rewriting the request body?", *b.LastTimestamp, b.LastTraceID, *a.LastTimestamp, a.LastTraceID)
}

// vendorMessage extracts the vendor's message from an error body:
// {"error": "...", "message": "..."} (with the reasons of a 422
// validation_error), or {"message": "..."}. The API client keeps only the
// start of an error body, so it reads what it can of a cut one.
func vendorMessage(status int, body string) string {
	var code, msg string
	var reasons []string
	it := jsonAPI.BorrowIterator([]byte(body))
	defer jsonAPI.ReturnIterator(it)
	if it.WhatIsNext() == jsoniter.ObjectValue {
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch {
			case key == "error" && it.WhatIsNext() == jsoniter.StringValue:
				code = it.ReadString()
			case key == "message" && it.WhatIsNext() == jsoniter.StringValue:
				msg = it.ReadString()
			case key == "reasons" && it.WhatIsNext() == jsoniter.ArrayValue:
				it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
					if r := reason(it); r != "" {
						reasons = append(reasons, r)
					}
					return it.Error == nil
				})
			default:
				it.Skip()
			}
			return it.Error == nil
		})
	}
	switch {
	case msg == "":
		msg = code
	case code != "" && code != msg:
		msg = code + ": " + msg
	}
	if len(reasons) > 0 {
		msg += " (" + strings.Join(reasons, "; ") + ")"
	}
	if msg != "" {
		return msg
	}
	if b := strings.TrimSpace(body); b != "" {
		return b
	}
	return http.StatusText(status)
}

// reason reads one validation reason as "field: message"; "" when it has
// neither.
func reason(it *jsoniter.Iterator) string {
	var field, msg string
	if it.WhatIsNext() != jsoniter.ObjectValue {
		it.Skip()
		return ""
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		if key != "meta" || it.WhatIsNext() != jsoniter.ObjectValue {
			it.Skip()
			return it.Error == nil
		}
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch {
			case key == "field" && it.WhatIsNext() == jsoniter.StringValue:
				field = it.ReadString()
			case key == "message" && it.WhatIsNext() == jsoniter.StringValue:
				msg = it.ReadString()
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		return it.Error == nil
	})
	if field == "" && msg == "" {
		return ""
	}
	return field + ": " + msg
}
