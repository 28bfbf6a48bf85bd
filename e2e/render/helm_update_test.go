package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/chartserver"
)

// updateGitInit makes dir a git work tree with everything committed; the
// author is set in the repository's own config, where helm-update's
// commits take it from.
func updateGitInit(t *testing.T, dir string) *git.Repository {
	t.Helper()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := r.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.User.Name, cfg.User.Email = "Updater", "updater@example.com"
	if err := r.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	updateGitCommitAll(t, r, "initial")
	return r
}

func updateGitCommitAll(t *testing.T, r *git.Repository, msg string) {
	t.Helper()
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: time.Now()}
	if _, err := wt.Commit(msg, &git.CommitOptions{Author: sig}); err != nil {
		t.Fatal(err)
	}
}

// updateGitLog returns the commit messages from HEAD back, newest first.
func updateGitLog(t *testing.T, r *git.Repository) []string {
	t.Helper()
	it, err := r.Log(&git.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := it.ForEach(func(c *object.Commit) error {
		out = append(out, strings.TrimSpace(c.Message))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// updateHeadFiles returns the files the HEAD commit changed, sorted.
func updateHeadFiles(t *testing.T, r *git.Repository) []string {
	t.Helper()
	ref, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	stats, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range stats {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

// updateGitClean fails the test when the work tree has changes.
func updateGitClean(t *testing.T, r *git.Repository) {
	t.Helper()
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	st, err := wt.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsClean() {
		t.Errorf("the work tree is not clean after the commit:\n%s", st)
	}
}

// updatePulled returns the pulled versions matching the glob below
// .helm-charts (e.g. "*/stable/demo/*"), as their last path element.
func updatePulled(t *testing.T, dir, glob string) []string {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(dir, ".helm-charts", filepath.FromSlash(glob)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, filepath.Base(m))
	}
	sort.Strings(out)
	return out
}

const updateChartYAML = `# Demo chart, pinned; helm-update moves it within 1.x.
helmChart:
  repo: %s   # the stable repository
  chartName: demo
  chartVersion: 1.0.0 # keep in sync with the docs
  updateConstraints: "~1.0 || ~1.1"
  releaseName: demo
`

// TestHelmUpdateUpgradesWithinTheConstraints: a chart pinned to 1.0.0 of a
// repository holding 1.0.0, 1.1.0 and 2.0.0, with constraints excluding
// 2.0.0, is reported, left alone without --upgrade (and when the user says
// no), and with --upgrade --commit moved to 1.1.0 in one commit that
// changes only the version line and swaps the pulled chart. A chart with
// skipUpdate and a local chart are not touched.
func TestHelmUpdateUpgradesWithinTheConstraints(t *testing.T) {
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0"} {
		if err := repo.Add("stable", demoChart(t, v)); err != nil {
			t.Fatal(err)
		}
		other, err := chartserver.BuildChart("other", v, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Add("stable", other); err != nil {
			t.Fatal(err)
		}
	}
	host := strings.SplitN(repo.URL("x"), "/", 4)[2]
	creds := []string{"--helm-creds=" + host + "/stable=" + chartUser + ":" + chartPassword}
	chartFile := fmt.Sprintf(updateChartYAML, repo.URL("stable"))
	pinnedFile := fmt.Sprintf("helmChart:\n  repo: %s\n  chartName: other\n  chartVersion: 1.0.0\n  skipUpdate: true\n  releaseName: other\n", repo.URL("stable"))
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":                "targets:\n  - name: test\n",
		"deployment.yml":              "deployments:\n  - path: app\n",
		"app/helm-chart.yaml":         chartFile,
		"app/kustomization.yaml":      "resources:\n  - helm-rendered.yaml\n",
		"app/helm-values.yaml":        "greeting: hello\n",
		"pinned/helm-chart.yaml":      pinnedFile,
		"local/helm-chart.yaml":       "helmChart:\n  path: chart\n  releaseName: local\n",
		"local/chart/Chart.yaml":      "apiVersion: v2\nname: local\nversion: 0.1.0\n",
		"local/chart/templates/x.txt": "",
	})
	env := isolatedEnv(t)
	run := func(args ...string) kluctltest.Result {
		return kluctltest.Run(t, env, append(append([]string{"helm-update", "--project-dir", dir}, creds...), args...)...)
	}
	if res := kluctltest.Run(t, env, append([]string{"helm-pull", "--project-dir", dir}, creds...)...); res.Code != 0 {
		t.Fatalf("helm-pull: exit %d: %s", res.Code, res.Stderr)
	}
	r := updateGitInit(t, dir)
	before := snapshot(t, dir)

	// Without --upgrade: the report, and nothing changes.
	res := run()
	if res.Code != 0 {
		t.Fatalf("helm-update: exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{
		"app: Chart demo (old version 1.0.0) has new version 1.1.0 available",
		"pinned: Skipped update to version 2.0.0",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout, "version 2.0.0 available") || strings.Contains(res.Stdout, "local") {
		t.Errorf("output offers 2.0.0 of demo or mentions the local chart:\n%s", res.Stdout)
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("helm-update without --upgrade changed files (-before +after):\n%s", diff)
	}

	// Asked interactively, the user says no; without a terminal -i fails.
	if res := kluctltest.RunTTY(t, env, "n\n", append([]string{"helm-update", "--project-dir", dir, "--upgrade", "-i"}, creds...)...); res.Code != 0 || !strings.Contains(res.Stderr, "app: Do you want to upgrade Chart demo to version 1.1.0?") {
		t.Errorf("helm-update -i answered no: exit %d: %s", res.Code, res.Stderr)
	}
	if res := run("--upgrade", "-i"); res.Code == 0 || !strings.Contains(res.Stderr, "not a terminal") {
		t.Errorf("helm-update -i without a terminal: exit %d: %s", res.Code, res.Stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("a declined upgrade changed files (-before +after):\n%s", diff)
	}

	// --commit refuses a modified work tree.
	if err := os.WriteFile(filepath.Join(dir, "deployment.yml"), []byte("deployments:\n  - path: app\n# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := run("--upgrade", "--commit"); res.Code == 0 || !strings.Contains(res.Stderr, "--commit can only be used when the git worktree is unmodified") {
		t.Errorf("--commit with a modified work tree: exit %d: %s", res.Code, res.Stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "deployment.yml"), []byte(before["deployment.yml"]), 0o644); err != nil {
		t.Fatal(err)
	}

	res = run("--upgrade", "--commit")
	if res.Code != 0 {
		t.Fatalf("helm-update --upgrade --commit: exit %d: %s", res.Code, res.Stderr)
	}
	after := snapshot(t, dir)
	wantFile := strings.Replace(chartFile, "chartVersion: 1.0.0", "chartVersion: 1.1.0", 1)
	if diff := cmp.Diff(wantFile, after["app/helm-chart.yaml"]); diff != "" {
		t.Errorf("app/helm-chart.yaml: more than the version line changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1.1.0"}, updatePulled(t, dir, "*/stable/demo/*")); diff != "" {
		t.Errorf("pulled demo versions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1.0.0"}, updatePulled(t, dir, "*/stable/other/*")); diff != "" {
		t.Errorf("pulled versions of the skipUpdate chart (-want +got):\n%s", diff)
	}
	for _, f := range []string{"pinned/helm-chart.yaml", "local/helm-chart.yaml"} {
		if after[f] != before[f] {
			t.Errorf("%s changed:\n%s", f, after[f])
		}
	}
	if diff := cmp.Diff([]string{"Updated helm chart demo from version 1.0.0 to version 1.1.0", "initial"}, updateGitLog(t, r)); diff != "" {
		t.Errorf("git log (-want +got):\n%s", diff)
	}
	var chartFiles []string
	for _, f := range updateHeadFiles(t, r) {
		if f == "app/helm-chart.yaml" {
			continue
		}
		if !strings.HasPrefix(f, ".helm-charts/") || !strings.Contains(f, "/stable/demo/") {
			t.Errorf("the commit changes %s", f)
		}
		chartFiles = append(chartFiles, f)
	}
	if len(chartFiles) == 0 {
		t.Errorf("the commit holds no .helm-charts changes: %v", updateHeadFiles(t, r))
	}
	updateGitClean(t, r)
	if got := cmData(t, mustRenderEnv(t, env, dir), "default", "demo")["version"]; got != "1.1.0" {
		t.Errorf("render after the update: version %v", got)
	}

	// Run again: nothing left to update.
	if res := run("--upgrade", "--commit"); res.Code != 0 || strings.Contains(res.Stdout, "app:") {
		t.Errorf("second helm-update: exit %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	if got := len(updateGitLog(t, r)); got != 2 {
		t.Errorf("%d commits after the second run, want 2", got)
	}

	// --commit refuses a .helm-charts that helm-pull would change.
	if err := os.WriteFile(filepath.Join(dir, "app", "helm-chart.yaml"), []byte(chartFile), 0o644); err != nil {
		t.Fatal(err)
	}
	updateGitCommitAll(t, r, "back to 1.0.0 without helm-pull")
	if res := run("--upgrade", "--commit"); res.Code == 0 || !strings.Contains(res.Stderr, ".helm-charts is not up-to-date") {
		t.Errorf("--commit with stale .helm-charts: exit %d: %s", res.Code, res.Stderr)
	}
}

// TestHelmUpdateOCIChart: a chart in an OCI registry, without
// constraints, is moved to the newest release (not the pre-release).
func TestHelmUpdateOCIChart(t *testing.T) {
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0", "3.0.0-rc.1"} {
		if _, err := reg.PushChart("charts/demo", demoChart(t, v), ""); err != nil {
			t.Fatal(err)
		}
	}
	flags := []string{"--registry-creds=" + reg.Host() + "/charts/*=" + chartUser + ":" + chartPassword, "--registry-plain-http=" + reg.Host() + "/charts/*"}
	chartFile := fmt.Sprintf("helmChart:\n  repo: %s\n  chartVersion: \"1.0.0\"\n  releaseName: demo\n", reg.URL("charts/demo"))
	dir := chartProject(t, strings.TrimPrefix(chartFile, "helmChart:\n"))
	env := isolatedEnv(t)
	if res := kluctltest.Run(t, env, append([]string{"helm-pull", "--project-dir", dir}, flags...)...); res.Code != 0 {
		t.Fatalf("helm-pull: exit %d: %s", res.Code, res.Stderr)
	}
	r := updateGitInit(t, dir)

	res := kluctltest.Run(t, env, append([]string{"helm-update", "--project-dir", dir, "--upgrade", "--commit"}, flags...)...)
	if res.Code != 0 {
		t.Fatalf("helm-update: exit %d: %s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "app: Chart demo (old version 1.0.0) has new version 2.0.0 available") {
		t.Errorf("output:\n%s", res.Stdout)
	}
	b, err := os.ReadFile(filepath.Join(dir, "app", "helm-chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Replace(chartFile, `"1.0.0"`, `"2.0.0"`, 1), string(b)); diff != "" {
		t.Errorf("helm-chart.yaml (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2.0.0"}, updatePulled(t, dir, "*/charts/demo/*")); diff != "" {
		t.Errorf("pulled versions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Updated helm chart demo from version 1.0.0 to version 2.0.0", "initial"}, updateGitLog(t, r)); diff != "" {
		t.Errorf("git log (-want +got):\n%s", diff)
	}
	updateGitClean(t, r)
}

// TestHelmUpdateErrorsNameTheChartFile: a chart whose versions can not be
// listed, or whose constraints match nothing, fails naming its
// helm-chart.yaml, and nothing is changed.
func TestHelmUpdateErrorsNameTheChartFile(t *testing.T) {
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("stable", demoChart(t, "1.0.0")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, chart, want string
	}{
		{"missing chart", "  repo: " + repo.URL("stable") + "\n  chartName: nothere\n  chartVersion: 1.0.0\n  releaseName: x\n", "nothere"},
		{"constraints matching nothing", "  repo: " + repo.URL("stable") + "\n  chartName: demo\n  chartVersion: 1.0.0\n  updateConstraints: \">=5\"\n  releaseName: x\n", "no version found that satisfies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := chartProject(t, tc.chart)
			before := snapshot(t, dir)
			res := kluctltest.Run(t, isolatedEnv(t), "helm-update", "--project-dir", dir, "--upgrade")
			if res.Code == 0 || !strings.Contains(res.Stderr, filepath.Join(dir, "app", "helm-chart.yaml")) || !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("exit %d: %s", res.Code, res.Stderr)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
		})
	}
}
