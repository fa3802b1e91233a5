package poll

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewAPIError(t *testing.T) {
	msg := func(status int, body string) string { return body + " (" + http.StatusText(status) + ")" }
	hint := func(status int, _ string) string {
		if status == http.StatusUnauthorized {
			return "check api_key"
		}
		return ""
	}
	se := &StatusError{Status: http.StatusUnauthorized, Body: "bad key"}
	err := NewAPIError("langwatch", "listing traces", se, msg, hint)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "langwatch: listing traces: HTTP 401: bad key (Unauthorized); check api_key", err.Error())
	assert.ErrorIs(t, err, se, "the request's error stays reachable")

	err = NewAPIError("langtrace", "", &StatusError{Status: http.StatusBadGateway, Body: "down"}, msg, nil)
	assert.Equal(t, "langtrace: HTTP 502: down (Bad Gateway)", err.Error())

	timeout := errors.New("i/o timeout")
	err = NewAPIError("opik", "listing spans", timeout, msg, hint)
	assert.False(t, errors.As(err, &ae), "no answer, no APIError")
	assert.ErrorIs(t, err, timeout)
	assert.Equal(t, "opik: listing spans: i/o timeout", err.Error())
}
