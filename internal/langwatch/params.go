package langwatch

import (
	"bytes"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
)

// maxParamsDepth bounds how deep params are flattened; deeper objects are
// kept whole (as maps).
const maxParamsDepth = 16

// maxInternedKeys bounds the key cache.
const maxInternedKeys = 4096

// wholeValue reports the attributes whose value is itself structured JSON
// (messages, tool arguments, LangWatch's typed values): params keeps them
// as objects, and flattening them would scatter one attribute into many.
func wholeValue(key string) bool {
	switch key {
	case genai.InputMessages, genai.OutputMessages, genai.SystemInstructions, genai.ToolDefinitions,
		genai.ToolCallArguments, genai.ToolCallResult, attrInput, attrOutput, attrContexts,
		"langwatch.params", "langwatch.metrics", "langwatch.timestamps", "langwatch.contexts",
		"langwatch.reserved.value_types":
		return true
	}
	return false
}

// Params hold every attribute of the stored OTel span un-flattened at the
// dots ({"gen_ai":{"request":{"temperature":0.2}}}); nested objects become
// dotted keys again (gen_ai.request.temperature = 0.2, JSON types kept:
// integers Int, other numbers Double, arrays Slice). The decoder flattens
// them into leaves in the pass that reads the answer (finding the end of
// params took as long as reading them), and the conversion puts the
// leaves. The attributes LangWatch turned into the span's typed input,
// output and contexts are left to those fields (they are the same values).

// leaf is one flattened params value: its dotted key (see keyTable.id) and
// where its JSON text is in the answer. It holds no pointers: an answer
// has thousands, and the garbage collector need not look at them.
type leaf struct {
	key        uint32
	start, end uint32
}

// readParams reads a span's params into leaves (the decoder's slab).
// Params that are not an object, or are malformed inside, are marked bad
// (a warning); the leaves read before a flaw are kept.
func (d *decoder) readParams(sp *spanRec) {
	s := &d.s
	switch s.next() {
	case kindNull:
		s.skip()
		return
	case kindObject:
	default:
		sp.ParamsBad = true
		s.raw()
		return
	}
	start, depth, from := s.i, s.depth, len(d.leaves)
	// Nesting is counted from params, as when they were a document of
	// their own.
	s.depth = 0
	d.buf = d.buf[:0]
	d.flatten(sp, 0)
	s.depth = depth
	if s.err != nil {
		// Find the end as the scan of the answer does: the answer is
		// malformed only if that fails too.
		s.err, s.i = nil, start
		s.skip()
		sp.ParamsBad = true
	}
	sp.Leaves = d.leaves[from:len(d.leaves):len(d.leaves)]
}

// flatten reads the members of the object at the scanner into leaves;
// d.buf holds the dotted prefix (with its trailing dot) of its keys.
func (d *decoder) flatten(sp *spanRec, depth int) {
	s := &d.s
	base := len(d.buf)
	s.object(func(key []byte) bool {
		d.buf = append(d.buf[:base], key...)
		if s.next() == kindObject && depth < maxParamsDepth && !wholeValue(bytesView(d.buf)) {
			d.buf = append(d.buf, '.')
			d.flatten(sp, depth+1)
			return true
		}
		start, end := d.leafValue(sp)
		if s.err == nil {
			d.leaves = append(d.leaves, leaf{key: d.keys.id(d.buf), start: uint32(start), end: uint32(end)}) //nolint:gosec // an answer is far below 4 GiB
		}
		return true
	})
	d.buf = d.buf[:base]
}

// leafValue moves past the value at the scanner and returns where it is.
// The copies of the span's typed input and output in params (LangWatch
// keeps them there, byte for byte, under langwatch.input and
// langwatch.output) are passed over in one comparison instead of a scan.
func (d *decoder) leafValue(sp *spanRec) (start, end int) {
	s := &d.s
	s.ws()
	start = s.i
	if key := bytesView(d.buf); supersededBy(sp, key) != nil {
		rest := s.b[s.i:]
		for _, v := range d.copiesOf(sp, key) {
			if len(v) > 0 && bytes.HasPrefix(rest, v) && (len(rest) == len(v) || isDelimiter(rest[len(v)])) {
				s.i += len(v)
				return start, s.i
			}
		}
	}
	s.skip()
	return start, s.i
}

// leafKey and leafRaw are a leaf's key and JSON text; valid until the next
// decode, as the records are.
func (d *decoder) leafKey(l leaf) string { return d.keys.key(l.key) }
func (d *decoder) leafRaw(l leaf) []byte { return d.s.b[l.start:l.end] }

// copiesOf is what LangWatch copies into params under a superseded key:
// the typed value itself, or (gen_ai.*.messages) its messages array.
func (d *decoder) copiesOf(sp *spanRec, key string) [2][]byte {
	switch key {
	case genai.InputMessages, attrInput:
		return [2][]byte{sp.Input, d.s.b[sp.In.Value[0]:sp.In.Value[1]]}
	case genai.OutputMessages, attrOutput:
		return [2][]byte{sp.Output, d.s.b[sp.Out.Value[0]:sp.Out.Value[1]]}
	}
	return [2][]byte{sp.Contexts}
}

// isDelimiter reports a byte that may follow a JSON value.
func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// present tells which attributes that the conversion sets only when the
// span's own attributes lack them came with the params.
type present struct {
	operation, model bool
}

// params puts a span's params leaves (read by d) into its attributes.
func (c *converter) params(attrs pcommon.Map, sp *spanRec, d *decoder) (has present) {
	n := 0
	for _, l := range sp.Leaves {
		if supersededBy(sp, d.leafKey(l)) == nil {
			n++
		}
	}
	// The attributes are counted first so that the map is allocated once.
	attrs.EnsureCapacity(n + typedAttributes(sp))
	bad := sp.ParamsBad
	for _, l := range sp.Leaves {
		key := d.leafKey(l)
		if supersededBy(sp, key) != nil {
			continue
		}
		ok := c.putLeaf(attrs, key, d.leafRaw(l)) // a value that fails is removed
		bad = bad || !ok
		switch key {
		case genai.OperationName:
			has.operation = ok
		case genai.RequestModel:
			has.model = ok
		}
	}
	if bad {
		c.warn()
	}
	return has
}

// typedAttributes is how many attributes a span gets besides its params.
func typedAttributes(sp *spanRec) int {
	n := 2 + sp.Metrics.count() // langwatch.span.type, gen_ai.operation.name
	for _, set := range [...]bool{sp.Model != "", sp.Vendor != "", sp.HasFirstToken, sp.Contexts != nil, sp.Error != nil} {
		if set {
			n++
		}
	}
	if sp.Input != nil {
		n += 2 // the JSON text and the messages
	}
	if sp.Output != nil {
		n += 2
	}
	return n
}

// decodeInto decodes a raw JSON value into attrs[key] with its JSON types;
// a malformed one is left out.
func (c *converter) decodeInto(attrs pcommon.Map, key string, raw []byte) bool {
	it := c.reset(raw)
	convert.ReadValue(it, attrs.PutEmpty(key))
	if convert.Failed(it) {
		attrs.Remove(key)
		return false
	}
	return true
}

// putLeaf puts one params value under key. Strings without escapes,
// numbers, booleans and null (most params) are set straight from their
// JSON text, as convert.ReadValue would set them; anything else (arrays,
// whole objects, escapes, control characters, invalid UTF-8, a malformed
// literal) goes through decodeInto.
func (c *converter) putLeaf(attrs pcommon.Map, key string, raw []byte) bool {
	switch raw[0] {
	case '"':
		if v := raw[1 : len(raw)-1]; plainString(v) {
			attrs.PutStr(key, c.strs.str(v))
			return true
		}
	case 't', 'f', 'n':
		switch string(raw) {
		case "true", "false":
			attrs.PutBool(key, raw[0] == 't')
			return true
		case "null":
			attrs.PutEmpty(key)
			return true
		}
	case '{', '[':
	default:
		if c.putNumber(attrs, key, raw) {
			return true
		}
	}
	return c.decodeInto(attrs, key, raw)
}

// putNumber puts a JSON number with convert's typing; false (nothing put)
// when raw is not a number.
func (c *converter) putNumber(attrs pcommon.Map, key string, raw []byte) bool {
	if c.num == (pcommon.Value{}) {
		c.num = pcommon.NewValueEmpty()
	}
	if !convert.SetNumber(c.num, raw) {
		return false
	}
	switch c.num.Type() {
	case pcommon.ValueTypeInt:
		attrs.PutInt(key, c.num.Int())
	case pcommon.ValueTypeDouble:
		attrs.PutDouble(key, c.num.Double())
	default:
		c.num.CopyTo(attrs.PutEmpty(key))
	}
	return true
}

// plainString reports whether a JSON string's content is its value as it
// is: no escapes, no control characters (which jsoniter refuses), valid
// UTF-8.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

// supersededBy returns the typed field of the span that LangWatch derived
// from the attribute key, when the span has it; nil otherwise.
func supersededBy(sp *spanRec, key string) []byte {
	switch key {
	case genai.InputMessages, attrInput:
		return sp.Input
	case genai.OutputMessages, attrOutput:
		return sp.Output
	case attrContexts:
		return sp.Contexts
	}
	return nil
}

// keyTable interns attribute keys built in a buffer, bounded (keys are the
// vendor's data): each has a number, by which leaves name it.
type keyTable struct {
	ids  map[string]uint32
	keys []string // by number, up to maxInternedKeys
	// more are the keys of the current answer past the bound (numbered
	// from maxInternedKeys on), forgotten at the next answer.
	more []string
}

// id returns the number of the key b (made valid UTF-8).
func (t *keyTable) id(b []byte) uint32 {
	if i, ok := t.ids[string(b)]; ok {
		return i
	}
	k := string(b)
	if !utf8.ValidString(k) || len(t.keys) >= maxInternedKeys {
		t.more = append(t.more, validKey(k))
		return uint32(maxInternedKeys + len(t.more) - 1) //nolint:gosec // bounded by the answer's size
	}
	if t.ids == nil {
		t.ids = make(map[string]uint32)
	}
	t.ids[k] = uint32(len(t.keys)) //nolint:gosec // at most maxInternedKeys
	t.keys = append(t.keys, k)
	return t.ids[k]
}

// key is the key numbered i.
func (t *keyTable) key(i uint32) string {
	if i < maxInternedKeys {
		return t.keys[i]
	}
	return t.more[i-maxInternedKeys]
}

// intern returns b as a string (valid UTF-8), the same string each time
// while the table has room.
func (t *keyTable) intern(b []byte) string {
	if i, ok := t.ids[string(b)]; ok {
		return t.keys[i]
	}
	k := string(b)
	if !utf8.ValidString(k) || len(t.keys) >= maxInternedKeys {
		return validKey(k)
	}
	return t.key(t.id(b))
}
