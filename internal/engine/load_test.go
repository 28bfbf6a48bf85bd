package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kluctl-go/kluctl/internal/engine"
)

// offline returns options that render dir without a cluster.
func offline(dir, scratch string) engine.Options {
	return engine.Options{ProjectDir: dir, Offline: true, ScratchDir: scratch}
}

func configMapData(t *testing.T, tgt *engine.Target, name string) map[string]any {
	t.Helper()
	for _, it := range tgt.Rendered.Items {
		for _, o := range it.Objects {
			if o.GetKind() == "ConfigMap" && o.GetName() == name {
				d, _ := o.Object["data"].(map[string]any)
				return d
			}
		}
	}
	t.Fatalf("ConfigMap %s not rendered", name)
	return nil
}

// An arg value that looks like a file reference reaches the templates as
// the literal string: the engine never reads files named by args (a
// KluctlDeployment's args must not read the controller's files).
func TestArgValuesAreDataNeverFileNames(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: args
  namespace: default
data:
  file: "{{ args.file }}"
  nested: "{{ args.a.b }}"
  number: "{{ args.n + 1 }}"
`,
	})
	hostname, err := os.ReadFile("/etc/hostname")
	if err != nil {
		t.Fatalf("the test needs /etc/hostname: %v", err)
	}
	opts := offline(dir, t.TempDir())
	opts.Args = map[string]any{"file": "@/etc/hostname", "a": map[string]any{"b": "@/etc/passwd"}, "n": float64(41)}
	tgt, err := engine.Load(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	data := configMapData(t, tgt, "args")
	if data["file"] != "@/etc/hostname" || data["nested"] != "@/etc/passwd" {
		t.Errorf("args were not passed as literal strings: %v", data)
	}
	if strings.Contains(data["file"].(string), strings.TrimSpace(string(hostname))) && strings.TrimSpace(string(hostname)) != "" {
		t.Errorf("the content of /etc/hostname reached the render: %v", data)
	}
	if data["number"] != "42" {
		t.Errorf("a typed number arg (as a CRD gives it) renders as %v, want 42", data["number"])
	}
}

// systemEnvVars sources read only Options.Getenv, never the process
// environment.
func TestEnvironmentOnlyThroughGetenv(t *testing.T) {
	t.Setenv("KLUCTL_ENGINE_TEST_VAR", "from-process")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"deployment.yaml": "vars:\n  - systemEnvVars:\n      v: KLUCTL_ENGINE_TEST_VAR:unset\ndeployments:\n  - path: app\n",
		"app/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\n  namespace: default\ndata:\n  v: \"{{ v }}\"\n",
	})
	for _, tc := range []struct {
		name   string
		getenv func(string) string
		want   string
	}{
		{"nil-is-empty", nil, "unset"},
		{"given", func(k string) string {
			if k == "KLUCTL_ENGINE_TEST_VAR" {
				return "from-options"
			}
			return ""
		}, "from-options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := offline(dir, t.TempDir())
			opts.Getenv = tc.getenv
			tgt, err := engine.Load(testCtx(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := configMapData(t, tgt, "env")["v"]; got != tc.want {
				t.Errorf("v = %v, want %s", got, tc.want)
			}
		})
	}
}

// The engine reports progress through the hook, masking sensitive values.
func TestProgressHookGetsMaskedEvents(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"deployment.yaml": "vars:\n  - values:\n      secret: hunter2-very-secret\n    sensitive: true\ndeployments:\n  - path: a\n  - path: b\n",
		"a/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  namespace: default\ndata:\n  v: \"{{ secret }}\"\n",
		"b/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  namespace: default\ndata:\n  v: second\n",
	})
	var mu sync.Mutex
	var events []engine.Event
	opts := offline(dir, t.TempDir())
	opts.Progress = func(e engine.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	tgt, err := engine.Load(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	var info, warn, debug int
	for _, e := range events {
		if strings.Contains(e.Message, "hunter2-very-secret") {
			t.Errorf("event leaks the secret: %q", e.Message)
		}
		switch e.Level {
		case engine.LevelInfo:
			info++
		case engine.LevelWarning:
			warn++
			if !strings.Contains(e.Message, "deployment items a and b") {
				t.Errorf("duplicate warning does not name both items: %q", e.Message)
			}
		case engine.LevelDebug:
			debug++
		}
	}
	if info == 0 || warn != 1 || debug == 0 {
		t.Errorf("got %d info, %d warning, %d debug events, want some info, one warning, some debug: %v", info, warn, debug, events)
	}
	if got := configMapData(t, tgt, "dup")["v"]; got != "second" {
		t.Errorf("duplicate object: the later item must win, got %v", got)
	}
}

// The scratch folder holds nothing after a load: on success, on error and
// when the context is cancelled.
func TestScratchSpaceIsRemovedOnEveryPath(t *testing.T) {
	base := map[string]string{
		"deployment.yaml":        "deployments:\n  - path: app\n",
		"app/kustomization.yaml": "resources:\n  - cm.yaml\npatches:\n  - path: patch.yaml\n",
		"app/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\ndata:\n  a: \"1\"\n",
		"app/patch.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\ndata:\n  b: \"2\"\n",
	}
	cases := []struct {
		name    string
		change  map[string]string
		cancel  bool
		wantErr string
	}{
		{name: "success"},
		{name: "kustomize-error", change: map[string]string{"app/patch.yaml": "kind: [\n"}, wantErr: "patch.yaml"},
		{name: "cancelled", cancel: true, wantErr: "context canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, base)
			writeFiles(t, dir, tc.change)
			scratch := filepath.Join(t.TempDir(), "scratch")
			ctx, cancel := context.WithCancel(testCtx(t))
			if tc.cancel {
				cancel()
			}
			defer cancel()
			_, err := engine.Load(ctx, offline(dir, scratch))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if tc.cancel && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v is not context.Canceled", err)
			}
			emptyDir(t, scratch, tc.name)
		})
	}
}

func TestRelativeProjectDirIsRefused(t *testing.T) {
	_, err := engine.Load(testCtx(t), engine.Options{ProjectDir: "relative/dir", Offline: true})
	if err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("error %v, want one saying the project folder must be absolute", err)
	}
}
