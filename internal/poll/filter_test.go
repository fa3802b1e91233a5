package poll

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFilterError(t *testing.T) {
	se := &StatusError{Method: "GET", Path: "/v1/private/traces", Status: 400, Body: `{"code":400}`}
	err := error(&FilterError{Block: "opik", Vendor: "Opik", Status: 400, Message: " Invalid operator '>' ", Err: se})
	assert.Equal(t, "opik: filter rejected by Opik (HTTP 400): Invalid operator '>': check opik.filter", err.Error())
	var got *StatusError
	assert.True(t, errors.As(err, &got), "the request's error stays reachable")
	assert.Equal(t, "opik: filter rejected by Opik (HTTP 501): no reason given: check opik.filter",
		(&FilterError{Block: "opik", Vendor: "Opik", Status: 501}).Error())
}

func TestFilterIdentity(t *testing.T) {
	assert.Nil(t, FilterIdentity(""), "no filter adds nothing: checkpoints written before the key stay valid")
	assert.Equal(t, []string{"filter", "x"}, FilterIdentity("x"))
	base := fingerprint("opik", "http://e", "ws", "p", "")
	assert.Equal(t, base, fingerprint(append([]string{"opik", "http://e", "ws", "p", ""}, FilterIdentity("")...)...))
	assert.NotEqual(t, base, fingerprint(append([]string{"opik", "http://e", "ws", "p", ""}, FilterIdentity("x")...)...))
}
