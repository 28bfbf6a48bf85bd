package render

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/chartserver"
)

const (
	chartUser     = "charts"
	chartPassword = "chart-s3cret-pw"
)

// setChartRepo rewrites the repo line of a helm-chart.yml.
func setChartRepo(t *testing.T, file, repo string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "repo:") {
			l = l[:strings.Index(l, "repo:")] + "repo: " + repo
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostDir is the .helm-charts folder name of a URL's scheme, port and host.
func hostDir(scheme, url string) string {
	hostPort := strings.SplitN(strings.SplitN(url, "://", 2)[1], "/", 2)[0]
	host, port, _ := strings.Cut(hostPort, ":")
	return scheme + "_" + port + "_" + host
}

// TestHelmPullRestoresTheDemosCharts: the microservices demo with its
// .helm-charts removed gets the same chart files back from a private https
// chart repository serving the chart the original pulled, and then renders
// as the reference implementation does, without touching the network.
func TestHelmPullRestoresTheDemosCharts(t *testing.T) {
	shared := kluctltest.SharedDir(t)
	project := "microservices-demo/3-templating-and-multi-env"
	ref := filepath.Join(shared, "examples", project, ".helm-charts", "https_charts.bitnami.com", "bitnami", "redis", "17.4.0")
	tgz, err := chartserver.PackageDir(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{TLS: true, User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("bitnami", tgz); err != nil {
		t.Fatal(err)
	}
	root := examplesCopy(t)
	dir := filepath.Join(root, project)
	if err := os.RemoveAll(filepath.Join(dir, ".helm-charts")); err != nil {
		t.Fatal(err)
	}
	setChartRepo(t, filepath.Join(dir, "third-party", "redis", "helm-chart.yml"), repo.URL("bitnami"))
	host := strings.TrimPrefix(strings.SplitN(repo.URL("x"), "/", 4)[2], "")
	env := isolatedEnv(t)
	creds := []string{"--helm-creds=" + host + "/bitnami=" + chartUser + ":" + chartPassword, "--helm-ca-file=" + host + "/bitnami=" + repo.CAFile()}

	// Render before pulling: charts are not pre-pulled, and the error says
	// what to do... unless the chart can be pulled into the cache: with
	// the server down, the render fails naming the chart.
	repo.SetDown(true)
	res := kluctltest.Run(t, env, append([]string{"render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--kubernetes-version", "1.34.2", "--print-all"}, creds...)...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "redis") {
		t.Fatalf("render with the repository down: exit %d: %s", res.Code, res.Stderr)
	}
	repo.SetDown(false)

	res = kluctltest.Run(t, env, append([]string{"helm-pull", "--project-dir", dir}, creds...)...)
	if res.Code != 0 {
		t.Fatalf("helm-pull: exit %d: %s", res.Code, res.Stderr)
	}
	pulled := filepath.Join(dir, ".helm-charts", hostDir("https", repo.URL("x")), "bitnami", "redis", "17.4.0")
	if diff := cmp.Diff(snapshot(t, ref), snapshot(t, pulled)); diff != "" {
		t.Errorf("pulled chart differs from the one the original pulled (-want +got):\n%s", diff)
	}
	if strings.Contains(res.Stdout+res.Stderr, chartPassword) {
		t.Errorf("the password appears in the output")
	}

	// Pre-pulled: the render needs no network and matches the reference.
	repo.ResetRequests()
	repo.SetDown(true)
	res = kluctltest.Run(t, env, "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--kubernetes-version", "1.34.2", "--print-all")
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	want, err := os.ReadFile(filepath.Join(shared, "examples", "expected-render", "ms3-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(parseObjects(t, want), parseObjects(t, []byte(res.Stdout))); diff != "" {
		t.Errorf("render after helm-pull differs from the reference (-want +got):\n%s", diff)
	}
	if reqs := repo.Requests(); len(reqs) != 0 {
		t.Errorf("a render with pre-pulled charts made requests: %v", reqs)
	}
}

// chartProject is a project with one chart item whose helm-chart.yaml is
// helmChart (the body of the helmChart key).
func chartProject(t *testing.T, helmChart string) string {
	return kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":             "targets:\n  - name: test\n",
		"deployment.yml":           "deployments:\n  - path: app\n",
		"app/helm-chart.yaml":      "helmChart:\n" + helmChart,
		"app/kustomization.yaml":   "resources:\n  - helm-rendered.yaml\n",
		"app/helm-values.yaml":     "greeting: hello\n",
		"unrelated/.keep-this-dir": "",
	})
}

// demoChart is a chart whose ConfigMap tells its version.
func demoChart(t *testing.T, version string) []byte {
	t.Helper()
	b, err := chartserver.BuildChart("demo", version, version, map[string]string{
		"values.yaml":       "greeting: hi\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  version: {{ .Chart.Version | quote }}\n  greeting: {{ .Values.greeting | quote }}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHelmPullNeverLosesThePulledChart(t *testing.T) {
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	for _, v := range []string{"1.0.0", "1.0.1", "1.1.0", "2.0.0"} {
		if err := repo.Add("stable", demoChart(t, v)); err != nil {
			t.Fatal(err)
		}
	}
	host := strings.SplitN(repo.URL("x"), "/", 4)[2]
	creds := []string{"--helm-username=" + host + "/stable=" + chartUser, "--helm-password=" + host + "/stable=" + chartPassword}
	chart := func(version string) string {
		return fmt.Sprintf("  repo: %s\n  chartName: demo\n  chartVersion: %s\n  releaseName: demo\n", repo.URL("stable"), version)
	}
	dir := chartProject(t, chart("1.0.0"))
	env := isolatedEnv(t)
	pull := func(extra ...string) kluctltest.Result {
		return kluctltest.Run(t, env, append(append([]string{"helm-pull", "--project-dir", dir}, creds...), extra...)...)
	}
	if res := pull(); res.Code != 0 {
		t.Fatalf("helm-pull: exit %d: %s", res.Code, res.Stderr)
	}
	versions := filepath.Join(dir, ".helm-charts", hostDir("http", repo.URL("x")), "stable", "demo")
	old := snapshot(t, filepath.Join(versions, "1.0.0"))
	if !strings.Contains(old["Chart.yaml"], "version: 1.0.0") {
		t.Fatalf("pulled Chart.yaml: %q", old["Chart.yaml"])
	}
	intact := func(what string) {
		t.Helper()
		if diff := cmp.Diff(old, snapshot(t, filepath.Join(versions, "1.0.0"))); diff != "" {
			t.Errorf("%s: the pulled 1.0.0 changed (-before +after):\n%s", what, diff)
		}
		entries, _ := os.ReadDir(versions)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".pull-") {
				t.Errorf("%s: leftover %s", what, e.Name())
			}
		}
	}
	write := func(version string) {
		if err := os.WriteFile(filepath.Join(dir, "app", "helm-chart.yaml"), []byte("helmChart:\n"+chart(version)), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A version that does not exist: a clear error with the nearest
	// versions, and 1.0.0 stays.
	write("1.2.0")
	res := pull()
	if res.Code == 0 || !strings.Contains(res.Stderr, `version "1.2.0" not found`) || !strings.Contains(res.Stderr, "nearest available: 1.1.0") || !strings.Contains(res.Stderr, "helm-chart.yaml") {
		t.Errorf("pulling a missing version: exit %d: %s", res.Code, res.Stderr)
	}
	intact("missing version")

	// The download is cut off midway: 1.0.0 stays.
	write("1.1.0")
	repo.SetAbortDownloads(true)
	if res := pull(); res.Code == 0 || !strings.Contains(res.Stderr, "EOF") {
		t.Errorf("an interrupted download: exit %d: %s", res.Code, res.Stderr)
	}
	intact("interrupted download")

	// The pull is stopped (as by a kill) while the archive is downloading.
	repo.SetAbortDownloads(false)
	repo.SetDownloadDelay(30 * time.Second)
	start := time.Now()
	if res := pull("--timeout", "2s"); res.Code == 0 || !strings.Contains(res.Stderr, "deadline") {
		t.Errorf("a stopped pull: exit %d: %s", res.Code, res.Stderr)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the pull was not stopped by --timeout")
	}
	intact("stopped pull")
	repo.SetDownloadDelay(0)

	// Back at 1.0.0 the project renders from what is left.
	write("1.0.0")
	repo.SetDown(true)
	objs := mustRenderEnv(t, env, dir)
	if got := cmData(t, objs, "default", "demo")["version"]; got != "1.0.0" {
		t.Errorf("render after the failures: version %v", got)
	}
	repo.SetDown(false)

	// A successful pull of another version removes the unused one.
	write("1.1.0")
	if res := pull(); res.Code != 0 {
		t.Fatalf("helm-pull 1.1.0: exit %d: %s", res.Code, res.Stderr)
	}
	if _, err := os.Stat(filepath.Join(versions, "1.0.0")); !os.IsNotExist(err) {
		t.Errorf("the unused version 1.0.0 was not removed: %v", err)
	}
	if got := cmData(t, mustRenderEnv(t, env, dir), "default", "demo")["version"]; got != "1.1.0" {
		t.Errorf("render after pulling 1.1.0: version %v", got)
	}
}

func mustRenderEnv(t *testing.T, env []string, dir string, extra ...string) map[string]map[string]any {
	t.Helper()
	res := kluctltest.Run(t, env, append([]string{"render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all"}, extra...)...)
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	return parseObjects(t, []byte(res.Stdout))
}

// TestRenderPullsChartsIntoTheCache: charts that were not pre-pulled are
// pulled at render time into the shared cache, with the credentials of
// the flags (an https repository with a client certificate, an OCI
// registry with auth); a second render needs no network.
func TestRenderPullsChartsIntoTheCache(t *testing.T) {
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{ClientCert: true, User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("stable", demoChart(t, "1.0.0")); err != nil {
		t.Fatal(err)
	}
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := reg.PushChart("charts/demo", demoChart(t, "2.0.0"), ""); err != nil {
		t.Fatal(err)
	}
	host := strings.SplitN(repo.URL("x"), "/", 4)[2]
	env := isolatedEnv(t)
	httpsFlags := []string{
		"--helm-creds=" + host + "/stable=" + chartUser + ":" + chartPassword, "--helm-ca-file=" + host + "/stable=" + repo.CAFile(),
		"--helm-cert-file=" + host + "/stable=" + repo.CertFile(), "--helm-key-file=" + host + "/stable=" + repo.KeyFile(),
	}
	ociFlags := []string{"--registry-creds=" + reg.Host() + "/charts/*=" + chartUser + ":" + chartPassword, "--registry-plain-http=" + reg.Host() + "/charts/*"}

	for _, tc := range []struct {
		name, chart, want string
		flags             []string
		requests          func() []string
		reset             func()
	}{
		{"https repository", fmt.Sprintf("  repo: %s\n  chartName: demo\n  chartVersion: 1.0.0\n  releaseName: demo\n", repo.URL("stable")), "1.0.0", httpsFlags, repo.Requests, repo.ResetRequests},
		{"oci registry", fmt.Sprintf("  repo: %s\n  chartVersion: 2.0.0\n  releaseName: demo\n", reg.URL("charts/demo")), "2.0.0", ociFlags, reg.Requests, reg.ResetRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := chartProject(t, tc.chart)
			res := kluctltest.Run(t, env, "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all")
			if res.Code == 0 {
				t.Fatalf("render without credentials succeeded")
			}
			if objs := mustRenderEnv(t, env, dir, tc.flags...); cmData(t, objs, "default", "demo")["version"] != tc.want {
				t.Errorf("rendered version: %v, want %s", cmData(t, objs, "default", "demo")["version"], tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, ".helm-charts")); !os.IsNotExist(err) {
				t.Errorf("render pulled into the project (%v); only helm-pull does", err)
			}
			tc.reset()
			out := kluctltest.Run(t, env, append([]string{"render", "--project-dir", dir, "-t", "test", "--offline-kubernetes", "--print-all"}, tc.flags...)...)
			if out.Code != 0 {
				t.Fatalf("second render: %s", out.Stderr)
			}
			if reqs := tc.requests(); len(reqs) != 0 {
				t.Errorf("the cached chart was fetched again: %v", reqs)
			}
			if bytes.Contains([]byte(res.Stdout+res.Stderr+out.Stdout+out.Stderr), []byte(chartPassword)) {
				t.Errorf("the password appears in the output")
			}
		})
	}
	_ = context.Background
}

// TestHelmPullGitChartAndCredentialsID: a chart from a private git
// repository (with the git credentials) and a chart whose helm-chart.yaml
// names a credentialsId (the deprecated --helm-creds form <id>:<value> is
// not it; --helm-username=<id>:<user> is).
func TestHelmPullGitChartAndCredentialsID(t *testing.T) {
	e := newIncludeEnv(t)
	chartFiles := map[string][]byte{
		"charts/demo/Chart.yaml":        []byte("apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
		"charts/demo/templates/cm.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  from: git\n"),
	}
	commit, err := e.srv.Commit("chart-repo", "main", chartFiles, "chart")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Tag("chart-repo", "v0.1.0", commit); err != nil {
		t.Fatal(err)
	}
	dir := chartProject(t, fmt.Sprintf("  git:\n    url: %s\n    ref:\n      tag: v0.1.0\n    subDir: charts/demo\n  releaseName: demo\n", e.srv.URL("chart-repo")))
	env := isolatedEnv(t)
	gitCreds := []string{"--git-username=" + e.host + "/chart-repo*=" + includeUser, "--git-password=" + e.host + "/chart-repo*=" + includePassword}
	res := kluctltest.Run(t, env, append([]string{"helm-pull", "--project-dir", dir}, gitCreds...)...)
	if res.Code != 0 {
		t.Fatalf("helm-pull: exit %d: %s", res.Code, res.Stderr)
	}
	host, port, _ := strings.Cut(e.host, ":")
	pulled := filepath.Join(dir, ".helm-charts", "git_http_"+port+"_"+host, "chart-repo", "charts", "demo", "refs", "tags", "v0.1.0")
	files := snapshot(t, pulled)
	if files["Chart.yaml"] != string(chartFiles["charts/demo/Chart.yaml"]) || !strings.Contains(files[".git-info.yaml"], commit) {
		t.Errorf("pulled git chart in %s: %v", pulled, files)
	}
	if got := cmData(t, mustRenderEnv(t, env, dir), "default", "demo")["from"]; got != "git" {
		t.Errorf("rendered from = %v", got)
	}

	repo, err := chartserver.StartRepo(chartserver.RepoOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("stable", demoChart(t, "1.0.0")); err != nil {
		t.Fatal(err)
	}
	dir = chartProject(t, fmt.Sprintf("  repo: %s\n  chartName: demo\n  chartVersion: 1.0.0\n  releaseName: demo\n  credentialsId: private\n", repo.URL("stable")))
	res = kluctltest.Run(t, env, "helm-pull", "--project-dir", dir)
	if res.Code == 0 || !strings.Contains(res.Stderr, `credentialsId "private"`) {
		t.Errorf("credentialsId without credentials: exit %d: %s", res.Code, res.Stderr)
	}
	res = kluctltest.Run(t, env, "helm-pull", "--project-dir", dir, "--helm-username=private:"+chartUser, "--helm-password=private:"+chartPassword)
	if res.Code != 0 {
		t.Fatalf("helm-pull with credentialsId: exit %d: %s", res.Code, res.Stderr)
	}
}

// TestHelmPullChartsOfGitIncludes: helm-pull on a project pulls the charts
// of the projects it includes from git too, into its own .helm-charts,
// where render finds them without the network.
func TestHelmPullChartsOfGitIncludes(t *testing.T) {
	e := newIncludeEnv(t)
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("stable", demoChart(t, "1.0.0")); err != nil {
		t.Fatal(err)
	}
	base := map[string][]byte{
		"base/deployment.yml":         []byte("deployments:\n  - path: app\n"),
		"base/app/helm-chart.yaml":    fmt.Appendf(nil, "helmChart:\n  repo: %s\n  chartName: demo\n  chartVersion: 1.0.0\n  releaseName: demo\n", repo.URL("stable")),
		"base/app/kustomization.yaml": []byte("resources:\n  - helm-rendered.yaml\n"),
	}
	if _, err := e.srv.Commit("chart-base", "main", base, "base with a chart"); err != nil {
		t.Fatal(err)
	}
	dir := includingProject(t, fmt.Sprintf("{url: %q, subDir: base}", e.srv.URL("chart-base")))
	env := isolatedEnv(t)
	host := strings.SplitN(repo.URL("x"), "/", 4)[2]
	flags := append(libCreds(e), "--helm-creds="+host+"/stable="+chartUser+":"+chartPassword)
	res := kluctltest.Run(t, env, append([]string{"helm-pull", "--project-dir", dir}, flags...)...)
	if res.Code != 0 {
		t.Fatalf("helm-pull: exit %d: %s", res.Code, res.Stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, ".helm-charts", hostDir("http", repo.URL("x")), "stable", "demo", "1.0.0", "Chart.yaml")); err != nil {
		t.Fatalf("the included project's chart was not pulled into the project: %v", err)
	}
	repo.ResetRequests()
	repo.SetDown(true)
	objs := mustRenderEnv(t, env, dir, libCreds(e)...)
	if got := cmData(t, objs, "default", "demo")["version"]; got != "1.0.0" {
		t.Errorf("rendered version %v", got)
	}
	if reqs := repo.Requests(); len(reqs) != 0 {
		t.Errorf("render asked the chart repository: %v", reqs)
	}
}

// TestChartCredentialsFromEnvironmentAndDockerConfig: KLUCTL_HELM_<idx>_*
// variables, --helm-insecure-skip-tls-verify and, for OCI, the docker
// config's logins.
func TestChartCredentialsFromEnvironmentAndDockerConfig(t *testing.T) {
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{TLS: true, User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	if err := repo.Add("stable", demoChart(t, "1.0.0")); err != nil {
		t.Fatal(err)
	}
	host := strings.SplitN(repo.URL("x"), "/", 4)[2]
	dir := chartProject(t, fmt.Sprintf("  repo: %s\n  chartName: demo\n  chartVersion: 1.0.0\n  releaseName: demo\n", repo.URL("stable")))

	env := isolatedEnv(t, "KLUCTL_HELM_0_HOST="+host, "KLUCTL_HELM_0_PATH=stable", "KLUCTL_HELM_0_USERNAME="+chartUser,
		"KLUCTL_HELM_0_PASSWORD="+chartPassword, "KLUCTL_HELM_0_CA_FILE="+repo.CAFile())
	if got := cmData(t, mustRenderEnv(t, env, dir), "default", "demo")["version"]; got != "1.0.0" {
		t.Errorf("KLUCTL_HELM_0_*: version %v", got)
	}
	// Without the CA the server's certificate is refused, unless
	// verification is turned off for it.
	env = isolatedEnv(t, "KLUCTL_HELM_HOST="+host, "KLUCTL_HELM_USERNAME="+chartUser, "KLUCTL_HELM_PASSWORD="+chartPassword)
	res := kluctltest.Run(t, env, "render", "--project-dir", dir, "-t", "test", "--offline-kubernetes")
	if res.Code == 0 || !strings.Contains(res.Stderr, "certificate") {
		t.Errorf("an unknown CA was accepted: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, mustRenderEnv(t, env, dir, "--helm-insecure-skip-tls-verify="+host+"/stable", "--helm-creds="+host+"/stable="+chartUser+":"+chartPassword), "default", "demo")["version"]; got != "1.0.0" {
		t.Errorf("insecure: version %v", got)
	}

	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: chartUser, Password: chartPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := reg.PushChart("charts/demo", demoChart(t, "2.0.0"), ""); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(chartUser + ":" + chartPassword))
	writeFile(t, filepath.Join(home, ".docker", "config.json"), fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host(), auth))
	dir = chartProject(t, fmt.Sprintf("  repo: %s\n  chartVersion: 2.0.0\n  releaseName: demo\n", reg.URL("charts/demo")))
	env = append(tempEnv(t), "HOME="+home, "SSH_AUTH_SOCK=")
	if got := cmData(t, mustRenderEnv(t, env, dir, "--registry-plain-http="+reg.Host()+"/charts/*"), "default", "demo")["version"]; got != "2.0.0" {
		t.Errorf("docker config login: version %v", got)
	}
}
