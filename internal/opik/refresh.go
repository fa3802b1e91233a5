package opik

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// Refresh reads pending traces again by id (the engine keeps the traces that
// still run, or have not settled, by id, instead of re-reading everything
// behind the oldest of them): GET /v1/private/traces/{id} and the trace's
// spans with GET /v1/private/spans?trace_id=. A trace Opik no longer has
// (404) is left out.
func (s *source) Refresh(ctx context.Context, refs []poll.TraceRef) ([]poll.Trace, error) {
	out := make([]poll.Trace, 0, len(refs))
	for _, ref := range refs {
		tr, ok, err := s.traceByID(ctx, ref.Key)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var spans []*record
		err = s.listAll(ctx, "spans of trace "+tr.ID, url.Values{"trace_id": {tr.ID}}, func(sp *record) {
			if sp.TraceID == "" {
				sp.TraceID = tr.ID
			}
			spans = append(spans, sp)
		})
		if err != nil {
			return nil, err
		}
		slices.SortFunc(spans, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
		t := s.conv.trace(tr, spans)
		t.Key = tr.ID
		out = append(out, t)
	}
	return out, nil
}

// traceByID reads one trace; ok is false when Opik answers 404.
func (s *source) traceByID(ctx context.Context, id string) (*record, bool, error) {
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: tracesPath + "/" + url.PathEscape(id), Header: s.header})
	var se *poll.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.explain("reading trace "+id, err)
	}
	rec, err := decodeRecord(resp.Body)
	if err != nil {
		return nil, false, fmt.Errorf("opik: reading trace %s: %w", id, s.api.ScrubError(err))
	}
	return rec, true, nil
}

// decodeRecord decodes one trace or span answer with the page decoder
// (strict: encoding/json's rules).
func decodeRecord(body []byte) (*record, error) {
	d := pageDecoder{s: convert.Scanner{Strict: true}}
	d.s.Strings = &d.strs
	d.s.Reset(body)
	if d.s.Peek() != convert.KindObject {
		return nil, errors.New("opik: unexpected answer: want a JSON object")
	}
	r := &record{SpanCount: -1}
	d.record(r)
	if err := d.s.Err(); err != nil {
		return nil, fmt.Errorf("opik: malformed JSON answer: %w", err)
	}
	return r, nil
}
