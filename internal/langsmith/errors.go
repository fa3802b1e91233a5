package langsmith

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/llmtrace/llmtrace/internal/poll"
)

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

// apiError explains a failed request as a poll.APIError in LangSmith's own
// words: the v2 API answers RFC 7807 problem details {type, title, status,
// detail, instance, remedy}, v1 FastAPI's {"detail": ...}, the
// authentication layer {"error": code, "message": ...}. The body was
// already scrubbed of the API key by the API client; errors that are no
// answer (timeouts, connection errors) are wrapped as they are.
func (s *source) apiError(doing string, err error) error {
	return poll.NewAPIError(Name, doing, err, problemMessage, s.hint)
}

// problemMessage is an error answer's title, detail and remedy (LangSmith's
// extension for user-recoverable errors), or the body itself.
func problemMessage(status int, body string) string {
	title, detail, remedy := readProblem(status, body)
	return joinNonEmpty(title, detail, remedy)
}

// readProblem reads the title, detail and remedy of an error answer; a body
// that is none of LangSmith's shapes is the detail.
func readProblem(status int, body string) (title, detail, remedy string) {
	var p problem
	if jsonAPI.UnmarshalFromString(body, &p) == nil {
		title, remedy = p.Title, p.Remedy
		detail = detailText(p.Detail)
		if code, ok := p.Error.(string); ok && code != "" {
			title, detail = code, p.Message
		}
	}
	if title == "" && detail == "" {
		detail = strings.TrimSpace(body)
		if detail == "" {
			detail = http.StatusText(status)
		}
	}
	return title, detail, remedy
}

// joinNonEmpty joins the non-empty parts with ": ".
func joinNonEmpty(parts ...string) string {
	kept := parts[:0]
	for _, s := range parts {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, ": ")
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
	switch se.Status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusNotImplemented:
	default:
		return nil
	}
	title, detail, remedy := readProblem(se.Status, se.Body)
	if !strings.Contains(strings.ToLower(title+" "+detail+" "+remedy), "filter") {
		return nil
	}
	msg := joinNonEmpty(title, detail)
	return &poll.FilterError{Block: Name, Vendor: "LangSmith", Status: se.Status, Message: msg, Err: err}
}
