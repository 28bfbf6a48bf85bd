package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// previewProject is a project whose review branches become preview
// targets: each branch review-* holding a target-config.yml is a target
// named after the branch, its replicas set by that file.
var previewProject = map[string]string{
	".kluctl.yaml": `args:
  - name: replicas
    default: 1
targets:
  - name: prod
  - name: "{{ target.targetConfig.ref }}"
    args:
      env: preview
    dynamicArgs:
      - name: replicas
    targetConfig:
      refPattern: review-.*
`,
	"deployment.yaml": "deployments:\n  - path: app\n",
	"app/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: default
data:
  replicas: "{{ args.replicas }}"
  ref: "{{ target.get('targetConfig', {}).get('ref', 'none') }}"
`,
}

// previewRepo commits previewProject on main and adds the branches
// review-a and review-b (each with its target-config.yml), review-bad
// (setting an arg dynamicArgs does not allow) and the tag v1. The work
// tree is left on main.
func previewRepo(t *testing.T) string {
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
	commit := func(files map[string]string) plumbing.Hash {
		t.Helper()
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := wt.Add(name); err != nil {
				t.Fatal(err)
			}
		}
		h, err := wt.Commit("test", &git.CommitOptions{Author: &object.Signature{Name: "test", Email: "test@example.com", When: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	checkout := func(branch string, create bool) {
		t.Helper()
		if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: create, Keep: create}); err != nil {
			t.Fatal(err)
		}
	}
	main := commit(previewProject)
	for branch, cfg := range map[string]string{
		"review-a":   "args:\n  replicas: 2\n",
		"review-b":   "args:\n  replicas: 3\n",
		"review-bad": "args:\n  env: prod\n",
	} {
		checkout(branch, true)
		commit(map[string]string{"target-config.yml": cfg})
		checkout("main", false)
	}
	if _, err := repo.CreateTag("v1", main, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDynamicTargetsFromBranches(t *testing.T) {
	dir := previewRepo(t)
	env := tempEnv(t)

	res := kluctltest.Run(t, env, "list-targets", "--project-dir", dir, "--only-names")
	if res.Code != 0 {
		t.Fatalf("list-targets: exit %d: %s", res.Code, res.Stderr)
	}
	if diff := cmp.Diff("prod\nreview-a\nreview-b\n", res.Stdout); diff != "" {
		t.Errorf("one target per review branch with a valid target config (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.Stderr, "review-bad") || !strings.Contains(res.Stderr, `may not set arg "env"`) {
		t.Errorf("the rejected branch must be warned about, stderr: %s", res.Stderr)
	}

	res = kluctltest.Run(t, env, "list-targets", "--project-dir", dir)
	if res.Code != 0 {
		t.Fatalf("list-targets: exit %d: %s", res.Code, res.Stderr)
	}
	var listed []struct {
		Name         string
		Args         map[string]any
		TargetConfig map[string]any `json:"targetConfig"`
	}
	if err := yaml.Unmarshal([]byte(res.Stdout), &listed); err != nil || len(listed) != 3 {
		t.Fatalf("list-targets output: %v\n%s", err, res.Stdout)
	}
	if got := listed[1]; got.Name != "review-a" || got.TargetConfig["ref"] != "review-a" || got.Args["replicas"] != float64(2) {
		t.Errorf("review-a listed with its ref and the args of its target config: %+v", got)
	}

	render := func(target string) map[string]map[string]any {
		t.Helper()
		res := kluctltest.Run(t, env, "render", "--project-dir", dir, "--offline-kubernetes", "--print-all", "-t", target)
		if res.Code != 0 {
			t.Fatalf("render -t %s: exit %d: %s", target, res.Code, res.Stderr)
		}
		return parseObjects(t, []byte(res.Stdout))
	}
	objs := render("review-a")
	if diff := cmp.Diff(map[string]any{"replicas": "2", "ref": "review-a"}, cmData(t, objs, "default", "app")); diff != "" {
		t.Errorf("render -t review-a (-want +got):\n%s", diff)
	}
	objs = render("prod")
	if diff := cmp.Diff(map[string]any{"replicas": "1", "ref": "none"}, cmData(t, objs, "default", "app")); diff != "" {
		t.Errorf("render -t prod (-want +got):\n%s", diff)
	}

	res = kluctltest.Run(t, env, "render", "--project-dir", dir, "--offline-kubernetes", "-t", "review-bad")
	if res.Code == 0 || !strings.Contains(res.Stderr, "review-bad:target-config.yml:2") || !strings.Contains(res.Stderr, "dynamicArgs (replicas)") {
		t.Errorf("render -t review-bad: want the dynamicArgs error with file and line, got exit %d: %s", res.Code, res.Stderr)
	}
	res = kluctltest.Run(t, env, "render", "--project-dir", dir, "--offline-kubernetes", "-t", "review-x")
	if res.Code == 0 || !strings.Contains(res.Stderr, `target "review-x" not found`) || !strings.Contains(res.Stderr, "review-a, review-b") {
		t.Errorf("render -t review-x: want the known targets, got exit %d: %s", res.Code, res.Stderr)
	}
}
