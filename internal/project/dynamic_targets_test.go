package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/gitserver"
)

// testRepo is a git work tree built with go-git for a test.
type testRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	wt   *git.Worktree
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo, wt: wt}
}

// commit writes files (slash paths; "" deletes) and commits them on the
// current branch.
func (r *testRepo) commit(files map[string]string) plumbing.Hash {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if content == "" {
			if _, err := r.wt.Remove(name); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := r.wt.Add(name); err != nil {
			r.t.Fatal(err)
		}
	}
	h, err := r.wt.Commit("test", &git.CommitOptions{AllowEmptyCommits: true, Author: &object.Signature{Name: "test", Email: "test@example.com", When: time.Now()}})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// branch checks out branch, creating it from the current commit when new.
func (r *testRepo) branch(name string, create bool) {
	r.t.Helper()
	if err := r.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name), Create: create, Keep: create}); err != nil {
		r.t.Fatalf("checkout %s: %v", name, err)
	}
}

func (r *testRepo) setRef(name string, h plumbing.Hash) {
	r.t.Helper()
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), h)); err != nil {
		r.t.Fatal(err)
	}
}

const reviewKluctl = `args:
  - name: env
    default: prod
  - name: replicas
    default: 1
  - name: settings
    default: {}
targets:
  - name: prod
    context: default
  - name: "{{ target.targetConfig.ref }}"
    context: default
    args:
      env: review
    images:
      - image: app
        resultImage: app:from-target
    dynamicArgs:
      - name: replicas
      - name: settings
    targetConfig:
      refPattern: review-.*
  - name: "release-{{ target.targetConfig.ref }}"
    dynamicArgs:
      - name: replicas
      - name: settings
    targetConfig:
      ref: v1.0
`

// reviewRepo builds the repository of the review scenario: main holds
// the project; review-a, review-b, review-bad and review-nofile branch off
// it, review-c exists only as origin's branch, tag v1.0 is on review-a.
func reviewRepo(t *testing.T, sub string) *testRepo {
	t.Helper()
	r := newTestRepo(t)
	at := func(p string) string { return path.Join(sub, p) }
	r.commit(map[string]string{at(".kluctl.yaml"): reviewKluctl, at("deployment.yaml"): "deployments: []\n"})
	r.branch("review-a", true)
	a := r.commit(map[string]string{at("target-config.yml"): "args:\n  replicas: 2\n  settings:\n    debug: true\nimages:\n  - image: app\n    resultImage: app:review-a\n"})
	r.branch("review-b", true)
	b := r.commit(map[string]string{at("target-config.yml"): "args:\n  replicas: 3\n"})
	r.branch("main", false)
	r.branch("review-bad", true)
	r.commit(map[string]string{at("target-config.yml"): "args:\n  replicas: 4\n  env: hacked\n"})
	r.branch("main", false)
	r.branch("review-nofile", true)
	r.commit(map[string]string{at("README.md"): "no target config\n"})
	r.branch("main", false)
	if _, err := r.repo.CreateTag("v1.0", a, nil); err != nil {
		t.Fatal(err)
	}
	r.setRef("refs/remotes/origin/review-c", b)
	r.setRef("refs/remotes/origin/review-a", b) // the local branch wins
	return r
}

func listNames(l *TargetList) []string {
	var out []string
	for _, t := range l.Targets {
		out = append(out, t.Target.Name)
	}
	return out
}

func TestListTargetsExpandsDynamicTargets(t *testing.T) {
	r := reviewRepo(t, "")
	l, err := ListTargets(context.Background(), LoadOptions{ProjectDir: r.dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"prod", "release-v1.0", "review-a", "review-b", "review-c"}
	if diff := cmp.Diff(want, listNames(l)); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	args := map[string]any{}
	for _, lt := range l.Targets {
		args[lt.Target.Name] = lt.Target.Args["replicas"]
	}
	wantArgs := map[string]any{"prod": int64(1), "release-v1.0": int64(2), "review-a": int64(2), "review-b": int64(3), "review-c": int64(3)}
	if diff := cmp.Diff(wantArgs, args); diff != "" {
		t.Errorf("replicas per target, from each ref's target-config.yml (-want +got):\n%s", diff)
	}
	var skipped []string
	for _, err := range l.Skipped {
		skipped = append(skipped, err.Error())
	}
	sort.Strings(skipped)
	if len(skipped) != 2 || !strings.Contains(skipped[0], `may not set arg "env"`) || !strings.Contains(skipped[1], "no target config file target-config.yml found at review-nofile") {
		t.Errorf("review-bad and review-nofile must be reported, got %q", skipped)
	}
}

func TestSelectDynamicTarget(t *testing.T) {
	r := reviewRepo(t, "")
	tests := []struct {
		name     string
		target   string
		override string
		wantName string
		wantRef  string
		wantArgs map[string]any
		wantErr  []string
	}{
		{name: "branch", target: "review-a", wantName: "review-a", wantRef: "review-a",
			wantArgs: map[string]any{"env": "review", "replicas": int64(2), "settings": map[string]any{"debug": true}}},
		{name: "remote-tracking branch", target: "review-c", wantName: "review-c", wantRef: "review-c",
			wantArgs: map[string]any{"env": "review", "replicas": int64(3), "settings": map[string]any{}}},
		{name: "tag", target: "release-v1.0", wantName: "release-v1.0", wantRef: "v1.0",
			wantArgs: map[string]any{"env": "prod", "replicas": int64(2), "settings": map[string]any{"debug": true}}},
		{name: "name override", target: "review-b", override: "other", wantName: "other", wantRef: "review-b",
			wantArgs: map[string]any{"env": "review", "replicas": int64(3), "settings": map[string]any{}}},
		{name: "static target", target: "prod", wantName: "prod",
			wantArgs: map[string]any{"env": "prod", "replicas": int64(1), "settings": map[string]any{}}},
		{name: "arg not in dynamicArgs", target: "review-bad",
			wantErr: []string{"review-bad:target-config.yml:3", `field "args.env"`, `the target config may not set arg "env": it is not in the target's dynamicArgs (replicas, settings)`}},
		{name: "ref without target config", target: "review-nofile", wantErr: []string{"no target config file target-config.yml found at review-nofile"}},
		{name: "unknown", target: "review-x", wantErr: []string{`target "review-x" not found`, "review-a, review-b", "dynamic targets that failed to load"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderTarget(context.Background(), LoadOptions{ProjectDir: r.dir, Target: TargetOptions{Name: tt.target, NameOverride: tt.override}})
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want an error, got target %q", got.Name)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ref string
			if tc, ok := got.Vars["targetConfig"].(map[string]any); ok {
				ref, _ = tc["ref"].(string)
			}
			if diff := cmp.Diff([]string{tt.wantName, tt.wantRef}, []string{got.Name, ref}); diff != "" {
				t.Errorf("name and target.targetConfig.ref (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantArgs, got.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadDynamicTargetMergesImagesAndSeesRef(t *testing.T) {
	r := reviewRepo(t, "deploy/app")
	p, err := Load(context.Background(), LoadOptions{ProjectDir: filepath.Join(r.dir, "deploy", "app"), Target: TargetOptions{Name: "review-a"}})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, fi := range p.Images.Fixed() {
		results = append(results, fi.ResultImage)
	}
	// The lookup takes the last match: the target config file's image wins.
	if diff := cmp.Diff([]string{"app:from-target", "app:review-a"}, results); diff != "" {
		t.Errorf("fixed images (-want +got):\n%s", diff)
	}
	tv, _ := p.RootVars.Values["target"].(map[string]any)
	tc, _ := tv["targetConfig"].(map[string]any)
	if tc["ref"] != "review-a" || tc["refPattern"] != "review-.*" {
		t.Errorf("target.targetConfig in the vars: %v", tc)
	}
}

// fakeRepo serves refs and files from memory, as the controller's git
// cache does for checkouts without .git.
type fakeRepo struct {
	files map[string]map[string]string // ref -> path -> content
}

func (f fakeRepo) Refs(context.Context) ([]string, error) {
	var out []string
	for r := range f.files {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

func (f fakeRepo) DefaultBranch(context.Context) (string, error) { return "main", nil }

func (f fakeRepo) ReadFile(_ context.Context, ref, p string) ([]byte, error) {
	c, ok := f.files[ref][p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return []byte(c), nil
}

func writeFiles(t *testing.T, files map[string]string) string {
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

func TestDynamicTargetsFromInjectedRepo(t *testing.T) {
	// An export of the repository: no .git, the project in sub/.
	root := writeFiles(t, map[string]string{"sub/.kluctl.yaml": `targets:
  - name: "pr-{{ target.targetConfig.ref }}"
    dynamicArgs: [{name: level}]
    targetConfig:
      refPattern: "pr/.*"
  - name: "other-{{ target.targetConfig.ref }}"
    targetConfig:
      project:
        url: https://example.com/configs.git
      file: envs/config.yaml
`})
	repos := map[string]fakeRepo{
		"": {files: map[string]map[string]string{
			"refs/heads/main": {"sub/target-config.yml": "args: {level: 0}\n"},
			"refs/heads/pr/1": {"sub/target-config.yml": "args: {level: 1}\n"},
			"refs/tags/pr/2":  {"sub/target-config.yaml": "args: {level: 2}\n"},
		}},
		"https://example.com/configs.git": {files: map[string]map[string]string{
			"refs/heads/main": {"envs/config.yaml": "images: [{image: x, resultImage: x:1}]\n"},
		}},
	}
	var opened []string
	open := func(_ context.Context, url string) (TargetRepo, error) {
		opened = append(opened, url)
		return repos[url], nil
	}
	opts := LoadOptions{ProjectDir: filepath.Join(root, "sub"), RepoRoot: root, OpenTargetRepo: open}
	l, err := ListTargets(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"other-main", "pr-pr/1", "pr-pr/2"}, listNames(l)); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if len(l.Skipped) != 0 {
		t.Errorf("nothing skipped, got %v", l.Skipped)
	}
	if diff := cmp.Diff([]string{"", "https://example.com/configs.git"}, opened); diff != "" {
		t.Errorf("each repository opened once (-want +got):\n%s", diff)
	}

	// Without the injected repository an export has no refs to list.
	opts.OpenTargetRepo = nil
	_, err = RenderTarget(context.Background(), LoadOptions{ProjectDir: opts.ProjectDir, RepoRoot: root, Target: TargetOptions{Name: "pr-pr/1"}})
	if err == nil || !strings.Contains(err.Error(), "not in a git work tree") {
		t.Errorf("want a not-in-git error, got %v", err)
	}
}

func TestDynamicTargetFromLocalProjectURL(t *testing.T) {
	configs := newTestRepo(t)
	configs.commit(map[string]string{"target-config.yml": "args:\n  level: main\n"})
	configs.branch("env-1", true)
	configs.commit(map[string]string{"target-config.yml": "args:\n  level: one\n"})
	configs.branch("main", false)
	dir := writeFiles(t, map[string]string{".kluctl.yaml": fmt.Sprintf(`targets:
  - name: "{{ target.targetConfig.ref }}"
    dynamicArgs: [{name: level}]
    targetConfig:
      project:
        url: %s
  - name: "x-{{ target.targetConfig.ref }}"
    dynamicArgs: [{name: level}]
    targetConfig:
      project:
        url: file://%s
      refPattern: env-.*
`, configs.dir, filepath.ToSlash(configs.dir))})
	l, err := ListTargets(context.Background(), LoadOptions{ProjectDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, lt := range l.Targets {
		got[lt.Target.Name] = lt.Target.Args["level"]
	}
	// Without ref and refPattern: the default branch, the one checked out.
	if diff := cmp.Diff(map[string]any{"main": "main", "x-env-1": "one"}, got); diff != "" {
		t.Errorf("targets and their level (-want +got):\n%s\nskipped: %v", diff, l.Skipped)
	}
}

func TestSimpleDynamicTargetReadsProjectFolder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		".kluctl.yaml":  "targets:\n  - name: local\n    dynamicArgs: [{name: a}]\n    targetConfig:\n      file: cfg/local.yml\n",
		"cfg/local.yml": "args:\n  a: from-file\n",
	})
	got, err := RenderTarget(context.Background(), LoadOptions{ProjectDir: dir, Target: TargetOptions{Name: "local"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Args["a"] != "from-file" {
		t.Errorf("args: %v", got.Args)
	}
}

func TestDynamicTargetConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		wantErr []string
	}{
		{name: "ref and refPattern", target: "targetConfig:\n      ref: a\n      refPattern: b\n",
			wantErr: []string{".kluctl.yaml:6", `field "targets[0].targetConfig.refPattern"`, "'refPattern' and 'ref' can't be specified together"}},
		{name: "bad pattern", target: "targetConfig:\n      refPattern: 'a('\n",
			wantErr: []string{".kluctl.yaml:5", "invalid regular expression"}},
		{name: "unknown field", target: "targetConfig:\n      branch: main\n",
			wantErr: []string{".kluctl.yaml:5", `field "branch"`, "unknown field"}},
		{name: "project without url", target: "targetConfig:\n      project: {}\n",
			wantErr: []string{".kluctl.yaml:5", "url is required"}},
		{name: "file outside", target: "targetConfig:\n      file: ../x.yml\n",
			wantErr: []string{".kluctl.yaml:5", "must be a relative path"}},
		{name: "dynamic arg without name", target: "dynamicArgs:\n      - {}\n",
			wantErr: []string{".kluctl.yaml:5", `targets[0].dynamicArgs[0].name`, "arg name is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{".kluctl.yaml": "targets:\n  - name: a\n    context: x\n    " + tt.target})
			_, _, err := LoadKluctlConfig(dir, "")
			if err == nil {
				t.Fatal("want an error")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("want a *FileError, got %T", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMatchRef(t *testing.T) {
	tests := []struct {
		pattern, ref string
		want         string
		ok           bool
	}{
		{pattern: "review-.*", ref: "refs/heads/review-a", want: "review-a", ok: true},
		{pattern: "review-.*", ref: "refs/tags/review-1", want: "review-1", ok: true},
		{pattern: "review", ref: "refs/heads/review-a"},
		{pattern: "a|b", ref: "refs/heads/xb"},
		{pattern: "a|b", ref: "refs/heads/b", want: "b", ok: true},
		{pattern: "refs/heads/.*", ref: "refs/heads/x", want: "refs/heads/x", ok: true},
		{pattern: "refs/heads/.*", ref: "refs/tags/x"},
	}
	for _, tt := range tests {
		re, err := refPatternRegexp(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := matchRef(re, tt.pattern, tt.ref)
		if got != tt.want || ok != tt.ok {
			t.Errorf("matchRef(%q, %q) = %q, %v; want %q, %v", tt.pattern, tt.ref, got, ok, tt.want, tt.ok)
		}
	}
}

func TestDynamicTargetFromRemoteProjectURL(t *testing.T) {
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{})
	if err != nil {
		t.Skipf("git http server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	// The repository is created by the first commit, on trunk: its HEAD.
	for _, b := range [][2]string{{"trunk", "trunk"}, {"main", "main"}} {
		if _, err := srv.Commit("configs", b[0], map[string][]byte{"target-config.yml": []byte("args:\n  level: " + b[1] + "\n")}, "config"); err != nil {
			t.Fatal(err)
		}
	}
	dir := writeFiles(t, map[string]string{".kluctl.yaml": fmt.Sprintf(`targets:
  - name: "{{ target.targetConfig.ref }}"
    dynamicArgs: [{name: level}]
    targetConfig:
      project:
        url: %s
`, srv.URL("configs"))})
	got, err := RenderTarget(context.Background(), LoadOptions{ProjectDir: dir, Target: TargetOptions{Name: "trunk"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Args["level"] != "trunk" {
		t.Errorf("the default branch's target config: %v", got.Args)
	}
}

func TestDynamicTargetsWithTheSameNameKeepTheFirst(t *testing.T) {
	dir := writeFiles(t, map[string]string{".kluctl.yaml": `targets:
  - name: preview
    targetConfig:
      refPattern: ".*"
`})
	repo := fakeRepo{files: map[string]map[string]string{
		"refs/heads/a": {"target-config.yml": "{}\n"},
		"refs/heads/b": {"target-config.yml": "{}\n"},
	}}
	open := func(context.Context, string) (TargetRepo, error) { return repo, nil }
	l, err := ListTargets(context.Background(), LoadOptions{ProjectDir: dir, OpenTargetRepo: open})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Targets) != 1 || l.Targets[0].Config.Dynamic.Ref != "a" {
		t.Errorf("want preview from ref a only, got %v", listNames(l))
	}
	if len(l.Skipped) != 1 || !strings.Contains(l.Skipped[0].Error(), "duplicate target preview (targetConfig.ref b)") {
		t.Errorf("want the duplicate reported, got %v", l.Skipped)
	}
}
