// Package sim is the vendor-neutral half of the vendor simulators: a lazy,
// deterministic dataset of realistic LLM-application traces, the
// OpenTelemetry ground truth a perfect receiver produces from it, clocks that
// make the dataset evolve in time, fault injection, and the HTTP server that
// hosts one simulator part per vendor.
//
// # Writing a vendor part
//
// A part (internal/<vendor>/<vendor>sim) implements Part: Name returns the
// vendor's name and Handler serves the vendor's read API from an Env. On
// each request the handler takes env.Now() and answers from
// env.Data.View(i, now) for the traces i < env.Data.IndexAt(now) (the
// higher the index, the newer the trace); View already hides what the vendor
// has not received
// (spans not yet exported, late span batches, the end of in-progress roots).
// Vendors that only store ended spans drop spans whose End is zero. The part
// translates Trace and Span into the vendor's JSON (IDs: see Trace and Span)
// and checks env.Creds the way the vendor checks its headers.
//
// Faults other than duplicate and shift need nothing from the part; for
// those two the part asks FaultActive / ActiveFault on the request context
// and repeats or shifts Count items of the page it serves.
//
// When the vendor cannot carry everything Expected describes (millisecond
// timestamps, no status message, a synthesized root, ...), the part also
// implements Truther. Finally the part is registered with one line in
// internal/simvendors.
package sim // import "github.com/llmtrace/llmtrace/internal/sim"
