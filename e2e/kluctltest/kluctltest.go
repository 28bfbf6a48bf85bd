// Package kluctltest drives the kluctl CLI in-process for end-to-end tests:
// it runs commands with test streams, writes small projects to temporary
// folders and finds the shared example corpus.
package kluctltest

import (
	"context"
	"os"
	"path/filepath"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/cli"
	"github.com/kluctl-go/kluctl/internal/iostreams"
	"github.com/kluctl-go/kluctl/internal/result"
)

// Result is the outcome of one CLI invocation.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

// Run runs kluctl with args in-process, with non-terminal test streams and
// the given environment variables (KEY=VALUE) on top of the process
// environment. No config file is read.
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	return RunIn(t, Invocation{Env: env}, args...)
}

// Invocation describes how RunIn runs kluctl.
type Invocation struct {
	// Env is added to the process environment (KEY=VALUE).
	Env []string
	// Dir is the working folder; empty is the test process's.
	Dir string
	// ConfigDirs are searched for config.yaml; nil reads no config file.
	ConfigDirs []string
}

// RunIn runs kluctl with args in-process as inv describes.
func RunIn(t testing.TB, inv Invocation, args ...string) Result {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	env := cli.Env{Environ: append(os.Environ(), inv.Env...), ConfigDirs: inv.ConfigDirs}
	if env.ConfigDirs == nil {
		env.ConfigDirs = []string{}
	}
	if inv.Dir != "" {
		env.Getwd = func() (string, error) { return inv.Dir, nil }
	}
	code := cli.MainWithEnv(context.Background(), args, io, env)
	return Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
}

// RunTTY runs kluctl as if stdin and stderr were a terminal, answering
// prompts with input.
func RunTTY(t testing.TB, env []string, input string, args ...string) Result {
	t.Helper()
	io, in, out, errOut := iostreams.Test()
	in.WriteString(input)
	io.InTTY, io.ErrTTY = true, true
	code := cli.MainWithEnv(context.Background(), args, io, cli.Env{Environ: append(os.Environ(), env...), ConfigDirs: []string{}})
	return Result{Code: code, Stdout: out.String(), Stderr: errOut.String()}
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

// DecodeResult decodes the result document a command printed with
// -o json or -o yaml and returns its object lists.
func DecodeResult(t testing.TB, out string) *result.Result {
	t.Helper()
	doc := DecodeDocument(t, out)
	return result.FromDocument(doc)
}

// DecodeDocument decodes the command result document a command printed
// with -o json or -o yaml, its objects expanded.
func DecodeDocument(t testing.TB, out string) *result.CommandResult {
	t.Helper()
	var c result.CompactedCommandResult
	if err := sigsyaml.UnmarshalStrict([]byte(out), &c); err != nil {
		t.Fatalf("decode command result: %v\n%s", err, out)
	}
	return c.Expanded()
}

// GotkReady returns the status ("True", "False", ...) whose
// gotk_reconcile_condition series of the Ready condition of the
// KluctlDeployment ns/name is 1 in this process's metrics registry (the
// in-process controller's), "" when there is none.
func GotkReady(t testing.TB, name, ns string) string {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "gotk_reconcile_condition" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["kind"] == "KluctlDeployment" && l["name"] == name && l["namespace"] == ns && l["type"] == "Ready" && m.GetGauge().GetValue() == 1 {
				return l["status"]
			}
		}
	}
	return ""
}
