package langsmith

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// threadsQuery is the body of POST /api/v2/threads/query. TraceFilter (the
// filter key) keeps the threads with a trace whose root run passes it.
type threadsQuery struct {
	ProjectID    string `json:"project_id"`
	MinStartTime string `json:"min_start_time"`
	MaxStartTime string `json:"max_start_time"`
	TraceFilter  string `json:"trace_filter,omitempty"`
	PageSize     int    `json:"page_size"`
	Cursor       string `json:"cursor,omitempty"`
}

// threadsAnswer is the answer of POST /api/v2/threads/query.
type threadsAnswer struct {
	Items      []threadSummary `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

// threadSummary is what a thread item says about the thread's traces in
// the query's window.
type threadSummary struct {
	ThreadID     string `json:"thread_id"`
	Count        *int   `json:"count"`
	FirstTraceID string `json:"first_trace_id"`
	LastTraceID  string `json:"last_trace_id"`
}

// threadTracesAnswer is the answer of GET /api/v2/threads/{id}/traces.
type threadTracesAnswer struct {
	Items []struct {
		TraceID   string `json:"trace_id"`
		StartTime string `json:"start_time"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// threadTraceSelects are the thread-trace fields discovery needs.
var threadTraceSelects = []string{"TRACE_ID", "START_TIME"}

// threadsPage lists one page of the threads active in the window, then the
// traces of each thread (every page of the seed endpoint, which has no time
// filter, unless the thread is unchanged: threadLists), keeping those whose
// root started in the window; older traces are not read. With a filter,
// threads/query keeps the threads with a trace that passes it, and one
// traces/query per page of candidates (trace_ids and trace_filter) tells
// which of their traces pass: a thread's list stays whole, so that its
// summary (which counts every trace of the thread) still tells when it is
// unchanged.
func (s *source) threadsPage(ctx context.Context, q poll.Query, token string) ([]listed, string, error) {
	body, err := jsonAPI.Marshal(threadsQuery{
		ProjectID:    s.projectID,
		MinStartTime: formatTime(q.From),
		MaxStartTime: formatTime(q.To.Add(time.Microsecond)),
		TraceFilter:  s.filter,
		PageSize:     s.pageSize,
		Cursor:       token,
	})
	if err != nil {
		return nil, "", fmt.Errorf("langsmith: encoding the threads query: %w", err)
	}
	var a threadsAnswer
	if err := s.post(ctx, threadsQueryPath, body, token, "listing threads", &a); err != nil {
		return nil, "", err
	}
	var out []listed
	seen := map[string]bool{}
	for _, th := range a.Items {
		if th.ThreadID == "" || seen[th.ThreadID] {
			continue
		}
		seen[th.ThreadID] = true
		traces, ok := s.threadList.inWindow(th, q)
		if !ok {
			all, err := s.threadTraces(ctx, th.ThreadID)
			if err != nil {
				return nil, "", err
			}
			s.threadList.put(th.ThreadID, all)
			traces = window(all, q)
		}
		out = append(out, traces...)
	}
	if s.filter != "" && len(out) > 0 {
		if out, err = s.passing(ctx, q, out); err != nil {
			return nil, "", err
		}
	}
	return out, cursor(a.NextCursor), nil
}

// passing keeps the traces whose root run passes the filter, asking
// traces/query with their ids (trace_ids, at most a page of them per
// request) and the filter over the query's window.
func (s *source) passing(ctx context.Context, q poll.Query, traces []listed) ([]listed, error) {
	keep := map[string]bool{}
	for start := 0; start < len(traces); start += s.pageSize {
		chunk := traces[start:min(start+s.pageSize, len(traces))]
		ids := make([]string, len(chunk))
		for i, lt := range chunk {
			ids[i] = lt.id
		}
		token := ""
		for {
			body, err := jsonAPI.Marshal(tracesQuery{
				ProjectID: s.projectID, MinStartTime: formatTime(q.From), MaxStartTime: formatTime(q.To.Add(time.Microsecond)),
				TraceFilter: s.filter, TraceIDs: ids, Selects: traceSelects, PageSize: s.pageSize, Cursor: token,
			})
			if err != nil {
				return nil, fmt.Errorf("langsmith: encoding the traces query: %w", err)
			}
			var a tracesAnswer
			if err := s.post(ctx, tracesQueryPath, body, "", "filtering the threads' traces", &a); err != nil {
				return nil, err
			}
			for _, it := range a.Items {
				if it.RootRun != nil {
					keep[normUUID(cmp.Or(it.RootRun.TraceID, it.RootRun.ID))] = true
				}
			}
			next := cursor(a.NextCursor)
			if next == "" || next == token {
				break
			}
			token = next
		}
	}
	return slices.DeleteFunc(traces, func(lt listed) bool { return !keep[normUUID(lt.id)] }), nil
}

// window keeps the traces whose root started in the query's window.
func window(all []listed, q poll.Query) []listed {
	var out []listed
	for _, lt := range all {
		if !lt.start.Before(q.From) && !lt.start.After(q.To) {
			out = append(out, lt)
		}
	}
	return out
}

// threadLists remembers each thread's traces as last listed, so that a
// thread whose summary shows no change in the window is not listed again:
// the seed endpoint has no time filter, and every query of the overlap
// would otherwise list every active thread whole. A thread's traces only
// grow (a new turn, a root that arrives late): the window's trace count,
// first and last trace then tell whether the list is still complete.
type threadLists struct {
	m map[string][]listed
}

// maxThreadLists bounds the threads remembered.
const maxThreadLists = 20000

// inWindow returns the remembered traces of a thread in the window when
// they match the thread's summary.
func (t *threadLists) inWindow(th threadSummary, q poll.Query) ([]listed, bool) {
	all, ok := t.m[th.ThreadID]
	if !ok || th.Count == nil || th.FirstTraceID == "" || th.LastTraceID == "" {
		return nil, false
	}
	in := window(all, q)
	if len(in) != *th.Count || len(in) == 0 ||
		normUUID(in[0].id) != normUUID(th.FirstTraceID) || normUUID(in[len(in)-1].id) != normUUID(th.LastTraceID) {
		return nil, false
	}
	return in, true
}

func (t *threadLists) put(thread string, all []listed) {
	if t.m == nil {
		t.m = map[string][]listed{}
	}
	if _, ok := t.m[thread]; !ok && len(t.m) >= maxThreadLists {
		return
	}
	t.m[thread] = all
}

// evict forgets the threads whose last trace started before from.
func (t *threadLists) evict(from time.Time) {
	for id, all := range t.m {
		if len(all) == 0 || all[len(all)-1].start.Before(from) {
			delete(t.m, id)
		}
	}
}

// threadTraces lists every trace of one thread, oldest first.
func (s *source) threadTraces(ctx context.Context, threadID string) ([]listed, error) {
	var out []listed
	params := url.Values{
		"project_id": {s.projectID},
		"page_size":  {strconv.Itoa(s.pageSize)},
		"selects":    threadTraceSelects,
	}
	doing := "listing the traces of thread " + strconv.Quote(threadID)
	for page := 0; ; page++ {
		resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: s.threadTracesURL(threadID), Query: params, Header: s.header})
		if err != nil {
			return nil, s.apiError(doing, err)
		}
		var a threadTracesAnswer
		if err := jsonAPI.Unmarshal(resp.Body, &a); err != nil {
			return nil, fmt.Errorf("langsmith: %s: malformed answer: %w", doing, err)
		}
		for _, it := range a.Items {
			if it.TraceID == "" {
				continue
			}
			out = append(out, listed{id: it.TraceID, start: s.startOf(it.StartTime, it.TraceID)})
		}
		next := cursor(a.NextCursor)
		if next == "" {
			return out, nil
		}
		if next == params.Get("cursor") || page+1 >= maxThreadPages {
			return nil, fmt.Errorf("langsmith: %s: more than %d pages, or a cursor that does not advance; discovery: traces reads such projects", doing, maxThreadPages)
		}
		params.Set("cursor", next)
	}
}

// maxThreadPages bounds the pages read for one thread in one query, so that
// a server that keeps answering cursors cannot hold a poll forever: 100,000
// turns at page_size 100. The newest traces come last, so a thread is read
// whole or not at all.
const maxThreadPages = 1000
