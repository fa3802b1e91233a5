//go:build tools

// Package jaeger pins the Jaeger v2 binary used by the end-to-end tests.
//
// Build it with:
//
//	go build -o <dir>/jaeger github.com/jaegertracing/jaeger/cmd/jaeger
package jaeger

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
