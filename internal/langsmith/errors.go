package langsmith

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// APIError is a LangSmith error answer with the vendor's own words: the v2
// API answers RFC 7807 problem details {type, title, status, detail,
// instance, remedy}, v1 FastAPI's {"detail": ...}, the authentication layer
// {"error": code, "message": ...}.
type APIError struct {
	// Doing is what the receiver was doing ("listing traces", ...).
	Doing  string
	Status int
	// Title and Detail are the problem's title and detail (or the v1 and
	// authentication layer's equivalents).
	Title, Detail string
	// Remedy is LangSmith's extension for user-recoverable errors.
	Remedy string
	// Hint says which key to fix, when the answer tells.
	Hint string
	err  error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "langsmith: %s: HTTP %d", e.Doing, e.Status)
	for _, s := range []string{e.Title, e.Detail, e.Remedy} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.err }

// orgScopedCode is the authentication layer's error for an org-scoped API
// key sent without X-Tenant-Id.
const orgScopedCode = "org_scoped_key_requires_workspace"

// problem is the union of LangSmith's error bodies.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   any    `json:"detail"` // a string, or FastAPI's [{loc, msg, type}]
	Instance string `json:"instance"`
	Remedy   string `json:"remedy"`
	Error    any    `json:"error"` // {"error": "org_scoped_key_requires_workspace"}
	Message  string `json:"message"`
}

// apiError explains a failed request. The body was already scrubbed of the
// API key by the API client; errors that are no answer (timeouts,
// connection errors) are wrapped as they are.
func (s *source) apiError(doing string, err error) error {
	var se *poll.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("langsmith: %s: %w", doing, err)
	}
	e := &APIError{Doing: doing, Status: se.Status, err: err}
	var p problem
	if jsonAPI.UnmarshalFromString(se.Body, &p) == nil {
		e.Title, e.Remedy = p.Title, p.Remedy
		e.Detail = detailText(p.Detail)
		if code, ok := p.Error.(string); ok && code != "" {
			e.Title = code
			e.Detail = p.Message
		}
	}
	if e.Title == "" && e.Detail == "" {
		e.Detail = strings.TrimSpace(se.Body)
		if e.Detail == "" {
			e.Detail = http.StatusText(se.Status)
		}
	}
	e.Hint = s.hint(se.Status, se.Body)
	return e
}

// detailText renders a problem's detail: a string, or FastAPI's list of
// validation errors.
func detailText(d any) string {
	switch v := d.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, item := range v {
			if m, ok := item.(map[string]any); ok {
				if msg, ok := m["msg"].(string); ok {
					parts = append(parts, msg)
				}
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// hint names the key to fix for the answers that tell.
func (s *source) hint(status int, body string) string {
	switch {
	case status == http.StatusForbidden && strings.Contains(body, orgScopedCode):
		return "the API key is org-scoped: set langsmith.workspace_id to the workspace's UUID"
	case status == http.StatusUnauthorized:
		return "check langsmith.api_key (and the endpoint's region: US and EU keys differ)"
	case status == http.StatusForbidden:
		return "check that the API key may read the project in workspace_id " + quoteOr(s.workspace, "(none set)")
	case status == http.StatusNotFound:
		return "check langsmith.project_id / project_name, workspace_id and endpoint"
	case status == http.StatusNotImplemented:
		return "this LangSmith does not offer the endpoint (self-hosted LangSmith needs v0.16 or later)"
	}
	return ""
}

func quoteOr(s, def string) string {
	if s == "" {
		return def
	}
	return fmt.Sprintf("%q", s)
}

// filterError is a LangSmith refusal of the filter key, or nil: a 400 or
// 422 whose problem is about a filter (LangSmith's filter parser), or a 501
// about one (a deployment that cannot evaluate it: "scoped filters are
// unavailable for this deployment", threads/query's trace_filter before
// self-hosted LangSmith v0.17). Only requests that carry the filter are
// asked.
func (s *source) filterError(err error) error {
	var se *poll.StatusError
	if s.filter == "" || !errors.As(err, &se) {
		return nil
	}
	ae, ok := s.apiError("", err).(*APIError)
	if !ok {
		return nil
	}
	switch se.Status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusNotImplemented:
	default:
		return nil
	}
	if !strings.Contains(strings.ToLower(ae.Title+" "+ae.Detail+" "+ae.Remedy), "filter") {
		return nil
	}
	msg := ae.Detail
	if ae.Title != "" && ae.Detail != "" {
		msg = ae.Title + ": " + ae.Detail
	} else if msg == "" {
		msg = ae.Title
	}
	return &poll.FilterError{Block: Name, Vendor: "LangSmith", Status: se.Status, Message: msg, Err: err}
}
