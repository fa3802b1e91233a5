package genai

// AppendMessagesJSON appends to dst the JSON that MessagesJSON returns for
// msgs, so that a caller rendering many message lists can reuse one buffer
// instead of growing a new one each time.
func AppendMessagesJSON(dst []byte, msgs []Message) []byte {
	dst = append(dst, '[')
	for i, m := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"role":`...)
		dst = appendString(dst, m.Role)
		dst = append(dst, `,"parts":`...)
		dst = appendParts(dst, m.Parts)
		if m.Name != "" {
			dst = append(dst, `,"name":`...)
			dst = appendString(dst, m.Name)
		}
		if m.FinishReason != "" {
			dst = append(dst, `,"finish_reason":`...)
			dst = appendString(dst, m.FinishReason)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
