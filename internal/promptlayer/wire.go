package promptlayer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
)

// jsonAPI provides pooled iterators for decoding API answers.
var jsonAPI = jsoniter.ConfigFastest

// searchPage is one answer of POST /api/public/v2/requests/search:
// {success, items[], page, pages, per_page, total, has_next, has_prev,
// next_num, prev_num}.
type searchPage struct {
	Items []searchItem
	// HasNext is has_next; when the answer lacks it, page < pages, or a
	// full page.
	HasNext    bool
	hasNextSet bool
	Page       int64
	Pages      int64
	// Skipped counts items without a usable id (a conversion warning each).
	Skipped int
}

// searchItem is one RequestLogSearchResult: what the receiver needs of it.
// trace_id is not part of it; the request log has to be read.
type searchItem struct {
	ID    int64
	Start time.Time // request_start_time, zero when unreadable
	// PromptName is set with include_prompt_name.
	PromptName string
	// Status (SUCCESS, WARNING, ERROR) and ErrorMessage are undeclared
	// members (the item allows additional properties) that PromptLayer's
	// request logs carry.
	Status       string
	ErrorMessage string
	Price        float64
	HasPrice     bool
}

// decodeSearch decodes a search answer.
func decodeSearch(body []byte, pageSize int) (searchPage, error) {
	var p searchPage
	it := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(it)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return p, fmt.Errorf("unexpected answer: want a JSON object, got %q", snippet(body))
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "items":
			p.readItems(it)
		case "has_next":
			if it.WhatIsNext() == jsoniter.BoolValue {
				p.HasNext, p.hasNextSet = it.ReadBool(), true
			} else {
				it.Skip()
			}
		case "page":
			p.Page, _ = readInt(it)
		case "pages":
			p.Pages, _ = readInt(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if convert.Failed(it) {
		return p, fmt.Errorf("malformed JSON answer: %w", it.Error)
	}
	if !p.hasNextSet {
		if p.Pages > 0 && p.Page > 0 {
			p.HasNext = p.Page < p.Pages
		} else {
			p.HasNext = len(p.Items)+p.Skipped >= pageSize
		}
	}
	return p, nil
}

func (p *searchPage) readItems(it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		it.Skip()
		return
	}
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			it.Skip()
			p.Skipped++
			return it.Error == nil
		}
		var item searchItem
		ok := false
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "id":
				item.ID, ok = readInt(it)
			case "request_start_time":
				if t, err := convert.ParseTime(readStr(it)); err == nil {
					item.Start = t
				}
			case "prompt_name":
				item.PromptName = readStr(it)
			case "status":
				item.Status = readStr(it)
			case "error_message":
				item.ErrorMessage = readStr(it)
			case "price":
				item.Price, item.HasPrice = readFloat(it)
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		if ok && item.ID > 0 {
			p.Items = append(p.Items, item)
		} else {
			p.Skipped++
		}
		return it.Error == nil
	})
}

// requestLog is what the receiver keeps of one request log: the answer of
// GET /api/public/v2/requests/{id} (RequestLogDetailResponse) and what its
// search item adds.
type requestLog struct {
	ID      int64
	TraceID string // "" when null: a plain logged LLM call
	// Provider is PromptLayer's provider name (openai, anthropic, google,
	// openai.azure, vertexai, amazon.bedrock, ...).
	Provider string
	Model    string

	InputTokens, OutputTokens int64
	HasInput, HasOutput       bool
	// Price is in USD; HasPrice is false while PromptLayer has not priced
	// the request yet (price null right after ingest).
	Price    float64
	HasPrice bool

	Start, End time.Time // zero when absent or unreadable
	// Listed is request_start_time as the search listed it; a search
	// window found the request log there, even should the detail disagree.
	Listed time.Time
	// Operation is derived from the prompt blueprint: embeddings for the
	// embeddings API type, chat for chat templates, text_completion for
	// completion templates; "" when unknown.
	Operation string
	// Messages is the chat template's messages as gen_ai.input.messages
	// JSON; "" when there are none.
	Messages string

	// From the search item (not part of the detail answer).
	PromptName   string
	Status       string
	ErrorMessage string

	// Problems counts members that could not be read (a warning each).
	Problems int
}

// decodeRequest decodes a request log answer.
func decodeRequest(body []byte) (*requestLog, error) {
	r := &requestLog{}
	it := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(it)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return nil, fmt.Errorf("unexpected answer: want a JSON object, got %q", snippet(body))
	}
	var templateType, apiType string
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "request_id":
			r.ID, _ = readInt(it)
		case "trace_id":
			r.TraceID = readStr(it)
		case "provider":
			r.Provider = readStr(it)
		case "model":
			r.Model = readStr(it)
		case "input_tokens":
			r.InputTokens, r.HasInput = readInt(it)
		case "output_tokens":
			r.OutputTokens, r.HasOutput = readInt(it)
		case "price":
			r.Price, r.HasPrice = readFloat(it)
		case "request_start_time":
			r.Start = r.time(readStr(it))
		case "request_end_time":
			r.End = r.time(readStr(it))
		case "prompt_blueprint":
			templateType, apiType = r.readBlueprint(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if convert.Failed(it) {
		return nil, fmt.Errorf("malformed JSON answer: %w", it.Error)
	}
	r.Operation = operation(templateType, apiType)
	return r, nil
}

func (r *requestLog) time(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := convert.ParseTime(s)
	if err != nil {
		r.Problems++
	}
	return t
}

// operation derives gen_ai.operation.name from the blueprint: the model's
// api_type says embeddings; otherwise the template type says chat or
// completion.
func operation(templateType, apiType string) string {
	if strings.Contains(strings.ToLower(apiType), "embed") {
		return genai.OpEmbeddings
	}
	switch strings.ToLower(templateType) {
	case "chat":
		return genai.OpChat
	case "completion":
		return genai.OpTextCompletion
	}
	return ""
}

// readBlueprint reads prompt_blueprint: the template's chat messages, its
// type and metadata.model.{provider, name, api_type} (which fill provider
// and model when the request log lacks them).
func (r *requestLog) readBlueprint(it *jsoniter.Iterator) (templateType, apiType string) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		it.Skip()
		return "", ""
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "prompt_template":
			templateType = r.readTemplate(it)
		case "metadata":
			apiType = r.readModel(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	return templateType, apiType
}

func (r *requestLog) readTemplate(it *jsoniter.Iterator) (typ string) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		it.Skip()
		return ""
	}
	var messages any
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "type":
			typ = readStr(it)
		case "messages":
			messages = it.Read()
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if messages == nil {
		return typ
	}
	if msgs, ok := genai.ChatMessages(messages); ok {
		r.Messages = genai.MessagesJSON(msgs)
	} else if list, isList := messages.([]any); !isList || len(list) > 0 {
		r.Problems++
	}
	return typ
}

// readModel reads metadata.model; it returns its api_type.
func (r *requestLog) readModel(it *jsoniter.Iterator) (apiType string) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		it.Skip()
		return ""
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		if key != "model" || it.WhatIsNext() != jsoniter.ObjectValue {
			it.Skip()
			return it.Error == nil
		}
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "provider":
				if p := readStr(it); r.Provider == "" {
					r.Provider = p
				}
			case "name":
				if m := readStr(it); r.Model == "" {
					r.Model = m
				}
			case "api_type":
				apiType = readStr(it)
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		return it.Error == nil
	})
	return apiType
}

// readStr reads a string; null and other types are "".
func readStr(it *jsoniter.Iterator) string {
	if it.WhatIsNext() == jsoniter.StringValue {
		return it.ReadString()
	}
	it.Skip()
	return ""
}

// readInt reads an integer, also from a numeric string (the SDKs accept
// both for request_log_id); false for null, booleans and anything else.
func readInt(it *jsoniter.Iterator) (int64, bool) {
	var s string
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		s = string(it.ReadNumber())
	case jsoniter.StringValue:
		s = strings.TrimSpace(it.ReadString())
	default:
		it.Skip()
		return 0, false
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), true
	}
	return 0, false
}

// readFloat reads a number (or a decimal string); false for null.
func readFloat(it *jsoniter.Iterator) (float64, bool) {
	var s string
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		s = string(it.ReadNumber())
	case jsoniter.StringValue:
		s = strings.TrimSpace(it.ReadString())
	default:
		it.Skip()
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func snippet(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
