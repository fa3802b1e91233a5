package jaegertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvBinary names the environment variable that overrides where the Jaeger
// binary is (or, when missing there, is built to).
const EnvBinary = "LLMTRACE_JAEGER_BIN"

// jaegerPackage is the main package built from the e2e/jaeger module.
const jaegerPackage = "github.com/jaegertracing/jaeger/cmd/jaeger"

var (
	buildMu   sync.Mutex
	builtPath string
	buildErr  error
)

// Build returns the path of a Jaeger v2 binary built from the e2e/jaeger
// module, building it at most once per process and only when the cached
// binary is missing.
//
// The binary is $LLMTRACE_JAEGER_BIN when that variable is set (built there
// when the file does not exist), otherwise
// <dir of GOCACHE>/llmtrace-jaeger/jaeger-<hash of e2e/jaeger go.mod+go.sum>,
// so changing the pinned Jaeger version builds a new one. A build takes
// about 3 to 4 minutes on 2 cores with a warm module cache; concurrent test
// processes wait for each other through a lock file instead of building twice.
func Build(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtPath == "" && buildErr == nil {
		builtPath, buildErr = build(t)
	}
	if buildErr != nil {
		t.Fatalf("jaegertest: %v", buildErr)
	}
	return builtPath
}

func build(t testing.TB) (string, error) {
	modDir, err := moduleDir()
	if err != nil {
		return "", err
	}
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		bin, err = defaultBinaryPath(modDir)
		if err != nil {
			return "", err
		}
	}
	bin, err = filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if isExecutable(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(bin + ".lock")
	if err != nil {
		return "", fmt.Errorf("lock %s: %w", bin+".lock", err)
	}
	defer unlock()
	if isExecutable(bin) { // another process built it while we waited
		return bin, nil
	}

	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	defer func() { _ = os.Remove(tmp) }()
	t.Logf("jaegertest: building %s in %s into %s (takes a few minutes)", jaegerPackage, modDir, bin)
	start := time.Now()
	cmd := exec.Command(goTool(), "build", "-o", tmp, jaegerPackage)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s in %s: %w\n%s", jaegerPackage, modDir, err, out.String())
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	t.Logf("jaegertest: built Jaeger in %s", time.Since(start).Round(time.Second))
	return bin, nil
}

// moduleDir finds the e2e/jaeger module: next to this package's source when
// that path is known (no -trimpath), else from the main module's go.mod.
func moduleDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Join(filepath.Dir(file), "..", "jaeger")
		if fileExists(filepath.Join(dir, "go.mod")) {
			return filepath.Clean(dir), nil
		}
	}
	out, err := exec.Command(goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("cannot locate the e2e/jaeger module: no source path and no main module")
	}
	dir := filepath.Join(filepath.Dir(gomod), "e2e", "jaeger")
	if !fileExists(filepath.Join(dir, "go.mod")) {
		return "", fmt.Errorf("cannot locate the e2e/jaeger module: %s has no go.mod", dir)
	}
	return dir, nil
}

func defaultBinaryPath(modDir string) (string, error) {
	out, err := exec.Command(goTool(), "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOCACHE: %w", err)
	}
	cache := strings.TrimSpace(string(out))
	if cache == "" || cache == "off" {
		cache = filepath.Join(os.TempDir(), "go-build")
	}
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(modDir, name))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	h.Write([]byte(runtime.Version()))
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	return filepath.Join(filepath.Dir(cache), "llmtrace-jaeger", "jaeger-"+sum), nil
}

// goTool is the go command the tests run with (from PATH).
func goTool() string { return "go" }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0)
}
