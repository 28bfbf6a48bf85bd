// Package kluctltest drives the kluctl CLI in-process for end-to-end tests:
// it runs commands with test streams, writes small projects to temporary
// folders and finds the shared example corpus.
package kluctltest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/internal/cli"
	"github.com/kluctl-go/kluctl/internal/iostreams"
)

// Result is the outcome of one CLI invocation.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

// Run runs kluctl with args in-process, with non-terminal test streams and
// the given environment variables (KEY=VALUE) on top of the process
// environment.
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	code := cli.MainWithEnv(context.Background(), args, io, envFunc(env))
	return Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
}

// RunTTY runs kluctl as if stdin and stderr were a terminal, answering
// prompts with input.
func RunTTY(t testing.TB, env []string, input string, args ...string) Result {
	t.Helper()
	io, in, out, errOut := iostreams.Test()
	in.WriteString(input)
	io.InTTY, io.ErrTTY = true, true
	code := cli.MainWithEnv(context.Background(), args, io, envFunc(env))
	return Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
}

func envFunc(env []string) func(string) string {
	m := map[string]string{}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

// SharedDir returns ../shared next to the repository root (or
// $KLUCTL_SHARED_DIR). The test fails when it is missing.
func SharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("KLUCTL_SHARED_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			shared := filepath.Join(filepath.Dir(d), "shared")
			if _, err := os.Stat(shared); err != nil {
				t.Fatalf("shared corpus not found at %s: %v", shared, err)
			}
			return shared
		}
		if filepath.Dir(d) == d {
			t.Fatal("repository root (go.mod) not found")
		}
	}
}

// WriteProject writes files (slash paths relative to the project) into a new
// temporary folder and returns it.
func WriteProject(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// CopyDir copies src to dst recursively (files become writable).
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
