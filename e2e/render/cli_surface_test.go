package render

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// snapshot returns every regular file below dir, except in .git, with
// its content, by slash path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func renderInto(t *testing.T, projectDir, outDir string) kluctltest.Result {
	t.Helper()
	return kluctltest.Run(t, tempEnv(t), "render", "--project-dir", projectDir, "--offline-kubernetes", "-t", "dev", "--render-output-dir", outDir)
}

func TestRenderOutputDirIsSafe(t *testing.T) {
	project := map[string]string{
		".kluctl.yaml":    okKluctl,
		"deployment.yaml": "deployments:\n  - path: app\n  - path: extra\n",
		"app/cm.yaml":     okConfigMap,
		"extra/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {}\n",
	}

	t.Run("existing-file-is-refused-and-kept", func(t *testing.T) {
		dir := kluctltest.WriteProject(t, project)
		out := filepath.Join(t.TempDir(), "important.txt")
		writeFile(t, out, "do not touch\n")
		res := renderInto(t, dir, out)
		if res.Code == 0 {
			t.Errorf("rendering into a regular file succeeded")
		}
		if b, err := os.ReadFile(out); err != nil || string(b) != "do not touch\n" {
			t.Errorf("the file was changed: %q, %v", b, err)
		}
	})

	t.Run("unrelated-content-is-kept", func(t *testing.T) {
		dir := kluctltest.WriteProject(t, project)
		out := t.TempDir()
		writeFile(t, filepath.Join(out, "notes.txt"), "my notes\n")
		if res := renderInto(t, dir, out); res.Code != 0 {
			t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
		}
		got := snapshot(t, out)
		if got["notes.txt"] != "my notes\n" {
			t.Errorf("notes.txt was changed or removed: %q", got["notes.txt"])
		}
		if !strings.Contains(got["app/cm.yaml"], `env: "dev"`) {
			t.Errorf("app/cm.yaml not rendered: %q", got["app/cm.yaml"])
		}
	})

	t.Run("project-dir-is-refused", func(t *testing.T) {
		dir := kluctltest.WriteProject(t, project)
		before := snapshot(t, dir)
		res := renderInto(t, dir, dir)
		if res.Code == 0 {
			t.Errorf("rendering into the project itself succeeded")
		}
		if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
			t.Errorf("project files changed (-before +after):\n%s", diff)
		}
	})

	t.Run("second-render-replaces-its-own-files", func(t *testing.T) {
		dir := kluctltest.WriteProject(t, project)
		out := t.TempDir()
		writeFile(t, filepath.Join(out, "foreign.txt"), "not kluctl's\n")
		if res := renderInto(t, dir, out); res.Code != 0 {
			t.Fatalf("first render failed: %s", res.Stderr)
		}
		if _, ok := snapshot(t, out)["extra/cm.yaml"]; !ok {
			t.Fatalf("first render did not write extra/cm.yaml: %v", snapshot(t, out))
		}

		writeFile(t, filepath.Join(dir, "deployment.yaml"), "deployments:\n  - path: app\n")
		writeFile(t, filepath.Join(dir, "app", "cm.yaml"), strings.Replace(okConfigMap, "env:", "second:", 1))
		if res := renderInto(t, dir, out); res.Code != 0 {
			t.Fatalf("second render into the same folder failed (exit %d): %s", res.Code, res.Stderr)
		}
		got := snapshot(t, out)
		if _, ok := got["extra/cm.yaml"]; ok {
			t.Errorf("extra/cm.yaml is no longer rendered but was kept")
		}
		if !strings.Contains(got["app/cm.yaml"], `second: "dev"`) {
			t.Errorf("app/cm.yaml not replaced by the second render: %q", got["app/cm.yaml"])
		}
		if got["foreign.txt"] != "not kluctl's\n" {
			t.Errorf("foreign.txt was changed or removed: %q", got["foreign.txt"])
		}
	})
}

func TestRenderRejectsBadArgValues(t *testing.T) {
	project := map[string]string{
		"deployment.yaml": "deployments:\n  - path: app\n",
		".kluctl.yaml":    "args:\n  - name: myarg\n    default: none\n",
	}
	cases := []struct {
		name string
		arg  string
		// cm is the data of the ConfigMap "probe".
		cm map[string]string
		// want is the ConfigMap's data; nil means the render must fail
		// with an error containing wantErr.
		want    map[string]any
		wantErr []string
	}{
		{name: "invalid-yaml", arg: "myarg=[", wantErr: []string{"myarg"}},
		{name: "missing-file", arg: "myarg=@/nonexistent-file", wantErr: []string{"myarg", "/nonexistent-file"}},
		{name: "file-with-invalid-yaml", arg: "myarg=@broken.yaml", wantErr: []string{"myarg", "broken.yaml"}},
		{
			name: "file-relative-to-working-dir",
			arg:  "myarg=@values.yaml",
			cm:   map[string]string{"k": `"{{ args.myarg.k }}"`, "count": `"{{ args.myarg.count + 1 }}"`},
			want: map[string]any{"k": "from-file", "count": "42"},
		},
		{
			name: "escaped-at-is-literal",
			arg:  `myarg=\@literal`,
			cm:   map[string]string{"v": `"{{ args.myarg }}"`},
			want: map[string]any{"v": "@literal"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"app/cm.yaml": configMap("probe", "default", tc.cm)}
			for k, v := range project {
				files[k] = v
			}
			dir := kluctltest.WriteProject(t, files)
			work := kluctltest.WriteProject(t, map[string]string{
				"values.yaml": "k: from-file\ncount: 41\n",
				"broken.yaml": "k: [unclosed\n",
			})
			res := kluctltest.RunIn(t, kluctltest.Invocation{Env: tempEnv(t), Dir: work},
				"render", "--project-dir", dir, "--offline-kubernetes", "--print-all", "-a", tc.arg)
			if tc.want == nil {
				if res.Code == 0 {
					t.Fatalf("-a %s was accepted:\n%s", tc.arg, res.Stdout)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(res.Stderr, w) {
						t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
					}
				}
				return
			}
			if res.Code != 0 {
				t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
			}
			got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "probe")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// entryKeys returns the top-level keys of each entry of a YAML list, in
// the order printed.
func entryKeys(out string) [][]string {
	var entries [][]string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "- "):
			entries = append(entries, nil)
			line = "  " + line[2:]
		case !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   "):
			continue
		}
		if k, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && len(entries) > 0 {
			entries[len(entries)-1] = append(entries[len(entries)-1], k)
		}
	}
	return entries
}

func TestListTargets(t *testing.T) {
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml": `discriminator: "kluctl-{{ target.name }}"
targets:
  - name: zeta
    context: ctx-zeta
  - name: alpha
  - name: mid
`,
		"deployment.yaml": "deployments: []\n",
	})
	run := func(t *testing.T, inv kluctltest.Invocation, args ...string) kluctltest.Result {
		t.Helper()
		inv.Env = tempEnv(t)
		res := kluctltest.RunIn(t, inv, append([]string{"list-targets", "--project-dir", dir}, args...)...)
		if res.Code != 0 {
			t.Fatalf("list-targets failed (exit %d): %s", res.Code, res.Stderr)
		}
		return res
	}

	res := run(t, kluctltest.Invocation{})
	var targets []struct{ Name, Discriminator string }
	if err := yaml.Unmarshal([]byte(res.Stdout), &targets); err != nil {
		t.Fatalf("output is not a YAML list: %v\n%s", err, res.Stdout)
	}
	want := []struct{ Name, Discriminator string }{
		{"alpha", "kluctl-alpha"}, {"mid", "kluctl-mid"}, {"zeta", "kluctl-zeta"},
	}
	if diff := cmp.Diff(want, targets); diff != "" {
		t.Errorf("targets sorted by name with rendered discriminators (-want +got):\n%s", diff)
	}
	entries := entryKeys(res.Stdout)
	if len(entries) != 3 {
		t.Errorf("want 3 list entries, found %d:\n%s", len(entries), res.Stdout)
	}
	for _, keys := range entries {
		if !sort.StringsAreSorted(keys) {
			t.Errorf("keys not in alphabetical order: %v\n%s", keys, res.Stdout)
		}
	}

	if got := run(t, kluctltest.Invocation{}, "--only-names").Stdout; got != "alpha\nmid\nzeta\n" {
		t.Errorf("--only-names printed %q, want one name a line", got)
	}

	work := t.TempDir()
	toFile := run(t, kluctltest.Invocation{Dir: work}, "-o", "targets.yaml")
	if toFile.Stdout != "" {
		t.Errorf("-o file should keep stdout empty, got:\n%s", toFile.Stdout)
	}
	b, err := os.ReadFile(filepath.Join(work, "targets.yaml"))
	if err != nil {
		t.Fatalf("-o targets.yaml was not written relative to the working dir: %v", err)
	}
	if diff := cmp.Diff(res.Stdout, string(b)); diff != "" {
		t.Errorf("file differs from stdout output (-stdout +file):\n%s", diff)
	}
}

func TestVersion(t *testing.T) {
	res := kluctltest.Run(t, nil, "version")
	if res.Code != 0 {
		t.Fatalf("version failed: %s", res.Stderr)
	}
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+\S*\n$`).MatchString(res.Stdout) {
		t.Errorf("version should print the bare version and a newline, got %q", res.Stdout)
	}
	flag := kluctltest.Run(t, nil, "--version")
	if want := "kluctl version " + res.Stdout; flag.Code != 0 || flag.Stdout != want {
		t.Errorf("--version printed %q (exit %d), want %q", flag.Stdout, flag.Code, want)
	}
}

func TestPathFlagsMustExist(t *testing.T) {
	project := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":       okKluctl,
		"custom-kluctl.yaml": "targets:\n  - name: custom\n",
		"deployment.yaml":    "deployments:\n  - path: app\n",
		"app/cm.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: default\ndata:\n  target: \"{{ target.name }}\"\n",
	})
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{
			name:    "project-dir",
			args:    []string{"--project-dir", "/does/not/exist"},
			wantErr: `invalid argument "/does/not/exist" for "--project-dir" flag: /does/not/exist does not exist`,
		},
		{
			name:    "project-config",
			args:    []string{"--project-dir", project, "-c", "missing.yaml"},
			wantErr: `invalid argument "missing.yaml" for "-c, --project-config" flag: missing.yaml does not exist`,
		},
		{
			name:    "fixed-images-file",
			args:    []string{"--project-dir", project, "--fixed-images-file", "missing.yaml"},
			wantErr: `invalid argument "missing.yaml" for "--fixed-images-file" flag: missing.yaml does not exist`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := kluctltest.Invocation{Env: tempEnv(t), Dir: t.TempDir()}
			res := kluctltest.RunIn(t, inv, append([]string{"render", "--offline-kubernetes", "-t", "dev", "--print-all"}, tc.args...)...)
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			if !strings.Contains(res.Stderr, tc.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantErr, res.Stderr)
			}
		})
	}

	// A relative path names a file in the working dir, not in the test
	// process's folder.
	t.Run("relative-to-working-dir", func(t *testing.T) {
		inv := kluctltest.Invocation{Env: tempEnv(t), Dir: project}
		res := kluctltest.RunIn(t, inv, "render", "--offline-kubernetes", "--print-all", "-c", "custom-kluctl.yaml", "-t", "custom")
		if res.Code != 0 {
			t.Fatalf("-c custom-kluctl.yaml in the working dir was refused (exit %d): %s", res.Code, res.Stderr)
		}
		if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "cm")["target"]; got != "custom" {
			t.Errorf("target = %v, want custom", got)
		}
	})
}

func TestDebugOutputMasksSensitiveVars(t *testing.T) {
	const secret = "s3cr3t-value-123"
	// Two items render the same ConfigMap, named after the secret, so that
	// stderr has a reason to name it (the duplicate warning).
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ secret.token }}\"\n  namespace: default\ndata:\n  token: \"{{ secret.token }}\"\n"
	dir := kluctltest.WriteProject(t, map[string]string{
		"deployment.yaml": `vars:
  - values:
      secret:
        token: "` + secret + `"
    sensitive: true
deployments:
  - path: first
  - path: second
`,
		"first/cm.yaml":  cm,
		"second/cm.yaml": cm,
	})
	res := kluctltest.Run(t, tempEnv(t), "render", "--project-dir", dir, "--offline-kubernetes", "--print-all", "--debug")
	if res.Code != 0 {
		t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", secret)["token"]; got != secret {
		t.Errorf("--print-all should print the rendered value, got token=%v", got)
	}
	if strings.Contains(res.Stderr, secret) {
		t.Errorf("stderr leaks the sensitive value:\n%s", res.Stderr)
	}
	if !regexp.MustCompile(`(?m)^debug: `).MatchString(res.Stderr) {
		t.Errorf("--debug wrote no debug lines on stderr; stderr:\n%s", res.Stderr)
	}
	if !strings.Contains(res.Stderr, "first") || !strings.Contains(res.Stderr, "second") {
		t.Errorf("the duplicate warning (which names the object) is missing; stderr:\n%s", res.Stderr)
	}
}
