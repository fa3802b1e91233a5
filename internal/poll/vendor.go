package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
)

// VendorConfig is the configuration of one vendor block (one project of one
// vendor). Each vendor package's *Config implements it by embedding Common
// and adding its own keys. The receiver's Config has one pointer field per
// vendor, tagged with the block's key: that field is the vendor's
// registration, and everything else that lists vendors is derived from it
// (see Blocks).
type VendorConfig interface {
	// SetDefaults resets the block to its defaults; the receiver calls it
	// on a new block before the user's keys are applied.
	SetDefaults()
	// CommonConfig is the part every vendor block shares.
	CommonConfig() *Common
	// Scope identifies the polled project within the vendor; the checkpoint
	// key is "<vendor>/<scope>".
	Scope() string
	// Identity lists what selects the polled data besides the vendor and
	// the endpoint (project, workspace, filters): a checkpoint written under
	// another identity is discarded.
	Identity() []string
	// Paging lists what the meaning of a page token depends on (page size,
	// discovery mode): a stored token written under other paging is
	// discarded and its query restarts from its first page; the watermark
	// and the emitted-span record are kept.
	Paging() []string
	// Limits are the vendor's documented request limits.
	Limits() Limits
	// NewSource builds the source once the HTTP client exists (in Start).
	NewSource(SourceSettings) (Source, error)
}

// Common is the part of a vendor block every vendor shares: the HTTP client
// settings (endpoint, timeout, headers, TLS, proxy, auth, ...), the API key
// and the emitted service.name. Vendor configs embed it with
// `mapstructure:",squash"`.
type Common struct {
	// ClientConfig holds endpoint, timeout, headers, TLS and proxy settings.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// APIKey is the vendor's API key; it never appears in logs or errors.
	APIKey configopaque.String `mapstructure:"api_key"`
	// ServiceName is the service.name of the emitted resource; each vendor
	// documents its default (usually the project).
	ServiceName string `mapstructure:"service_name"`
	// CaptureContent overrides the receiver's capture_content for this
	// vendor; nil keeps the receiver's.
	CaptureContent *bool `mapstructure:"capture_content"`
}

// NewCommon returns the defaults of the common block for a vendor whose
// API lives at endpoint.
func NewCommon(endpoint string) Common {
	cc := confighttp.NewDefaultClientConfig()
	cc.Endpoint = endpoint
	return Common{ClientConfig: cc}
}

// CommonConfig returns c; embedding Common gives a vendor config this
// method of VendorConfig.
func (c *Common) CommonConfig() *Common { return c }

// Check returns the problems of the common keys: the endpoint must be an
// http(s) URL, and the API key is required when requireKey is set.
func (c *Common) Check(requireKey bool) []error {
	var errs []error
	if err := CheckEndpoint(c.ClientConfig.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if requireKey && c.APIKey == "" {
		errs = append(errs, errors.New("api_key: required"))
	}
	return errs
}

// ServiceNameOr is the configured service_name, or def when none is set.
func (c *Common) ServiceNameOr(def string) string {
	if c.ServiceName != "" {
		return c.ServiceName
	}
	return def
}

// KeyScope derives a checkpoint scope from the API key for vendors whose
// key alone selects the project: a short hash that does not reveal the key.
func (c *Common) KeyScope() string {
	if c.APIKey == "" {
		return "default"
	}
	h := sha256.Sum256([]byte("llmtrace-scope\x00" + string(c.APIKey)))
	return "key-" + hex.EncodeToString(h[:6])
}

// Limits describe what a vendor's API allows; the API client keeps to them
// client-side, so that the vendor never has to answer 429.
type Limits struct {
	// Rate limits every request; zero means none.
	Rate Rate
	// Paths limit the requests whose "METHOD /path" starts with the key
	// (e.g. "POST /api/public/v2/requests/search"), on top of Rate. A 429
	// without Retry-After on such a request waits the rate's whole Per.
	Paths map[string]Rate
}

// Rate is a documented request limit: Requests per Per, of which Burst
// (default 1) may go out back to back.
type Rate struct {
	Requests int
	Per      time.Duration
	Burst    int
}

// IsZero reports whether the rate sets no limit.
func (r Rate) IsZero() bool { return r.Requests <= 0 || r.Per <= 0 }

// CheckEndpoint returns an "endpoint: ..." error for an endpoint that is
// not an http(s) URL with a host, or nil.
func CheckEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("endpoint: must be an http(s) URL")
	}
	return nil
}

// CheckRange returns a "key: must be between lo and hi" error for a value
// outside [lo, hi], or nil.
func CheckRange(key string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s: must be between %d and %d", key, lo, hi)
	}
	return nil
}

// fingerprint hashes the parts that identify something (a query, its
// paging) for the checkpoint.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Block is one vendor block of a receiver configuration: its key and its
// configuration (nil when the block is absent).
type Block struct {
	// Name is the block's key, e.g. "langtrace".
	Name string
	// Config is the configured block, nil when absent.
	Config VendorConfig
	// field is the block's field in the configuration struct.
	field reflect.Value
}

var vendorConfigType = reflect.TypeFor[VendorConfig]()

// Blocks lists the vendor blocks of cfg, a pointer to a configuration
// struct whose vendor blocks are pointer fields to types implementing
// VendorConfig, tagged `mapstructure:"<name>"`. They come in field order,
// present or not.
func Blocks(cfg any) []Block {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	var out []Block
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Pointer || !f.Type.Implements(vendorConfigType) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		b := Block{Name: name, field: v.Field(i)}
		if !v.Field(i).IsNil() {
			b.Config = v.Field(i).Interface().(VendorConfig)
		}
		out = append(out, b)
	}
	return out
}

// New returns a new configuration of the block's vendor with its defaults.
func (b Block) New() VendorConfig {
	vc := reflect.New(b.field.Type().Elem()).Interface().(VendorConfig)
	vc.SetDefaults()
	return vc
}

// Set makes vc the block's configuration (nil removes the block).
func (b Block) Set(vc VendorConfig) {
	if vc == nil {
		b.field.Set(reflect.Zero(b.field.Type()))
		return
	}
	b.field.Set(reflect.ValueOf(vc))
}

// Names returns the names of blocks, sorted.
func Names(blocks []Block) []string {
	names := make([]string, 0, len(blocks))
	for _, b := range blocks {
		names = append(names, b.Name)
	}
	slices.Sort(names)
	return names
}
