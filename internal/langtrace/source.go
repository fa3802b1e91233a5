package langtrace

import (
	"context"
	"errors"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// PLACEHOLDER: replaced by the real source.
type source struct{}

func newSource(*Config, poll.SourceSettings) *source { return &source{} }

func (*source) FetchPage(context.Context, poll.Query, string) (poll.Page, error) {
	return poll.Page{}, errors.New("not implemented yet")
}
