package llmtracereceiver

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

var envRef = regexp.MustCompile(`\$\{env:([A-Z0-9_]+)(:-([^}]*))?\}`)

// TestExamplesLoadAndValidate loads the llmtrace receiver of every example
// configuration, with its environment variables set as a user would set
// them, and validates it: every vendor block there is a registered vendor,
// reads its own <VENDOR>_* variables, and is valid.
func TestExamplesLoadAndValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	registered := map[string]bool{}
	for _, b := range poll.Blocks(createDefaultConfig().(*Config)) {
		registered[b.Name] = true
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var vars []string
			text := envRef.ReplaceAllStringFunc(string(raw), func(ref string) string {
				m := envRef.FindStringSubmatch(ref)
				vars = append(vars, m[1])
				switch {
				case strings.HasSuffix(m[1], "_ENDPOINT") && strings.HasPrefix(m[3], "http"):
					return m[3]
				case strings.HasSuffix(m[1], "_ENDPOINT"):
					return "http://127.0.0.1:1"
				case m[2] != "":
					return m[3] // a default, empty or not, is what an unset variable gives
				}
				return "set-by-user"
			})
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(text), &doc))
			receivers, _ := doc["receivers"].(map[string]any)
			block, ok := receivers["llmtrace"].(map[string]any)
			require.True(t, ok, "the example configures the llmtrace receiver")
			fromEnv := hasVendor(block, registered)
			if !fromEnv {
				// demo.yaml: scripts/demo.sh adds every simulated vendor's
				// block (vendorsim --receiver-config).
				for _, part := range registeredParts(t) {
					block[part.Name()] = part.ReceiverConfig("http://127.0.0.1:1", sim.Credentials{APIKey: "demo-key", Workspace: "demo", Project: "demo"})
				}
			}
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(block).Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			for key := range block {
				if fromEnv && registered[key] {
					prefix := strings.ToUpper(key) + "_"
					uses := false
					for _, v := range vars {
						uses = uses || strings.HasPrefix(v, prefix)
					}
					assert.True(t, uses, "the %s block reads %s* variables", key, prefix)
				}
			}
			assert.NotEmpty(t, cfg.vendors())
		})
	}
}

func hasVendor(block map[string]any, registered map[string]bool) bool {
	for k := range block {
		if registered[k] {
			return true
		}
	}
	return false
}
