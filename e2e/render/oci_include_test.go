package render

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/chartserver"
)

const (
	ociUser     = "puller"
	ociPassword = "s3cr3t-oci-pw"
)

type ociIncludeEnv struct {
	reg  *chartserver.Registry
	host string
	// digests of the pushed tags v1 and v2 (v2 is latest too).
	digests map[string]string
}

// ociPushed is what `kluctl oci push --output json` prints.
type ociPushed struct {
	URL, Repository, Tag, Digest string
}

// newOciIncludeEnv starts a registry with auth and pushes the shared base
// (sharedBase of the git include tests) as kluctl/shared:v1 and :v2, and
// v2 again as latest, with `kluctl oci push`.
func newOciIncludeEnv(t *testing.T) *ociIncludeEnv {
	t.Helper()
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: ociUser, Password: ociPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	e := &ociIncludeEnv{reg: reg, host: reg.Host(), digests: map[string]string{}}
	for _, v := range []string{"v1", "v2", "latest"} {
		version := map[string]string{"latest": "v2"}[v]
		if version == "" {
			version = v
		}
		files := map[string]string{}
		for p, b := range sharedBase(version) {
			files[p] = string(b)
		}
		dir := kluctltest.WriteProject(t, files)
		url := reg.URL("kluctl/shared")
		if v != "latest" {
			url += ":" + v
		}
		p := e.push(t, dir, url, "--output", "json")
		if p.Tag != v || p.URL != "oci://"+e.host+"/kluctl/shared@"+p.Digest {
			t.Fatalf("push printed %+v", p)
		}
		e.digests[v] = p.Digest
	}
	return e
}

func (e *ociIncludeEnv) credFlags(password string) []string {
	return []string{"--registry-username=" + e.host + "/kluctl/*=" + ociUser, "--registry-password=" + e.host + "/kluctl/*=" + password}
}

func (e *ociIncludeEnv) push(t *testing.T, dir, url string, extra ...string) ociPushed {
	t.Helper()
	args := append([]string{"oci", "push", "--project-dir", dir, "--url", url}, append(e.credFlags(ociPassword), extra...)...)
	res := kluctltest.Run(t, ociEnv(t), args...)
	if res.Code != 0 {
		t.Fatalf("oci push: exit %d: %s", res.Code, res.Stderr)
	}
	var p ociPushed
	if err := json.Unmarshal([]byte(res.Stdout), &p); err != nil {
		t.Fatalf("oci push output %q: %v", res.Stdout, err)
	}
	return p
}

// ociEnv is isolatedEnv without a docker config.
func ociEnv(t *testing.T, extra ...string) []string {
	return isolatedEnv(t, append([]string{"DOCKER_CONFIG=" + t.TempDir()}, extra...)...)
}

// ociIncludingProject is a project whose only item includes the shared
// base from OCI (ociItem is the YAML of the oci field).
func ociIncludingProject(t *testing.T, ociItem string) string {
	return kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":   "targets:\n  - name: test\n    args:\n      env: testing\n",
		"deployment.yml": "deployments:\n  - oci: " + ociItem + "\n    tags: [base]\n",
	})
}

func TestOciIncludeRendersLikeACopiedBase(t *testing.T) {
	e := newOciIncludeEnv(t)
	url := e.reg.URL("kluctl/shared")
	for _, tc := range []struct{ name, item, version string }{
		{"tag", fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", url), "v1"},
		{"digest", fmt.Sprintf("{url: %q, ref: {digest: %q}, subDir: bases/app}", url, e.digests["v1"]), "v1"},
		{"other tag", fmt.Sprintf("{url: %q, ref: {tag: v2}, subDir: bases/app}", url), "v2"},
		{"default tag latest", fmt.Sprintf("{url: %q, subDir: bases/app}", url), "v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			copied := map[string]string{
				".kluctl.yaml":   "targets:\n  - name: test\n    args:\n      env: testing\n",
				"deployment.yml": "deployments:\n  - include: bases/app\n    tags: [base]\n",
			}
			for p, b := range sharedBase(tc.version) {
				copied[p] = string(b)
			}
			want := mustRender(t, kluctltest.WriteProject(t, copied), "-t", "test")
			if len(want) != 2 {
				t.Fatalf("copied base renders %d objects, want 2", len(want))
			}
			res := renderIncluding(t, ociEnv(t), ociIncludingProject(t, tc.item), e.credFlags(ociPassword)...)
			checkRendersLikeCopy(t, "oci", want, res, ociPassword)
		})
	}
}

func TestOciIncludeErrors(t *testing.T) {
	e := newOciIncludeEnv(t)
	url := e.reg.URL("kluctl/shared")
	item := fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", url)
	for _, tc := range []struct {
		name  string
		item  string
		flags []string
		want  []string
	}{
		{"no credentials", item, nil, []string{"deployment.yml", "deployments[0].oci", url, "tag v1", "authentication failed"}},
		{"wrong password", item, e.credFlags("wrong-password"), []string{"deployments[0].oci", "authentication failed"}},
		{"credentials of another repository", item, []string{"--registry-creds=" + e.host + "/other/*=" + ociUser + ":" + ociPassword}, []string{"deployments[0].oci", "authentication failed"}},
		{"missing tag", fmt.Sprintf("{url: %q, ref: {tag: v9}}", url), e.credFlags(ociPassword), []string{"deployments[0].oci", "tag v9", "not found"}},
		{"missing subDir", fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: nothere}", url), e.credFlags(ociPassword), []string{"deployments[0].oci.subDir", "does not exist"}},
		{"subDir leaving the artifact", fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: ../..}", url), e.credFlags(ociPassword), []string{"deployments[0].oci.subDir", "leaves"}},
		{"not an oci url", fmt.Sprintf("{url: %q}", "https://"+e.host+"/kluctl/shared"), nil, []string{"deployments[0].oci.url", "not an oci:// URL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := renderIncluding(t, ociEnv(t), ociIncludingProject(t, tc.item), tc.flags...)
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stdout+res.Stderr, ociPassword) || strings.Contains(res.Stderr, "wrong-password") {
				t.Errorf("a password appears in the output:\n%s", res.Stderr)
			}
		})
	}
}

// TestOciIncludeCredentialsFromEnvironmentAndDockerConfig: the
// KLUCTL_REGISTRY_<idx>_* variables, and `docker login`'s config when no
// credential matches.
func TestOciIncludeCredentialsFromEnvironmentAndDockerConfig(t *testing.T) {
	e := newOciIncludeEnv(t)
	dir := ociIncludingProject(t, fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", e.reg.URL("kluctl/shared")))
	env := ociEnv(t, "KLUCTL_REGISTRY_0_HOST="+e.host, "KLUCTL_REGISTRY_0_REPOSITORY=kluctl/*", "KLUCTL_REGISTRY_0_USERNAME="+ociUser, "KLUCTL_REGISTRY_0_PASSWORD="+ociPassword)
	res := renderIncluding(t, env, dir)
	if res.Code != 0 {
		t.Fatalf("render with KLUCTL_REGISTRY_0_*: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != "v1" {
		t.Errorf("version = %v, want v1", got)
	}

	docker := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(ociUser + ":" + ociPassword))
	if err := os.WriteFile(filepath.Join(docker, "config.json"), fmt.Appendf(nil, `{"auths": {%q: {"auth": %q}}}`, e.host, auth), 0o600); err != nil {
		t.Fatal(err)
	}
	res = renderIncluding(t, isolatedEnv(t, "DOCKER_CONFIG="+docker), dir)
	if res.Code != 0 {
		t.Fatalf("render with the docker config: exit %d: %s", res.Code, res.Stderr)
	}
}

func TestOciIncludeLocalOverride(t *testing.T) {
	e := newOciIncludeEnv(t)
	dir := ociIncludingProject(t, fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", e.reg.URL("kluctl/shared")))
	parent := t.TempDir()
	work := filepath.Join(parent, "shared")
	for p, b := range sharedBase("local-uncommitted") {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// No credentials: the registry is never asked.
	e.reg.ResetRequests()
	for _, flag := range []string{
		"--local-oci-override=" + e.host + "/kluctl/shared=" + work,
		"--local-oci-group-override=" + e.host + "/kluctl=" + parent,
	} {
		res := renderIncluding(t, ociEnv(t), dir, flag)
		if res.Code != 0 {
			t.Fatalf("render %s: exit %d: %s", flag, res.Code, res.Stderr)
		}
		if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != "local-uncommitted" {
			t.Errorf("%s: version = %v, want the local folder's", flag, got)
		}
	}
	if reqs := e.reg.Requests(); len(reqs) != 0 {
		t.Errorf("the registry was asked: %v", reqs)
	}
}

// TestOciPush: the printed result, the annotations and the files of the
// artifact; errors name what is wrong.
func TestOciPush(t *testing.T) {
	e := newOciIncludeEnv(t)
	dir := kluctltest.WriteProject(t, map[string]string{
		"deployment.yml": "deployments:\n  - path: cm\n", "cm/cm.yml": configMap("cm", "default", map[string]string{"a": "b"}),
		".gitignore": "secret.txt\n", "secret.txt": "not for the registry",
	})
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{"https://user:git-pw@example.com/org/project.git"}}); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"oci", "push", "--project-dir", dir, "--url", e.reg.URL("kluctl/pushed") + ":v3", "--annotation", "team=platform"}, e.credFlags(ociPassword)...)
	res := kluctltest.Run(t, ociEnv(t), args...)
	if res.Code != 0 || res.Stdout != "" || !strings.Contains(res.Stderr, "Artifact successfully pushed to "+e.host+"/kluctl/pushed@sha256:") {
		t.Fatalf("oci push: exit %d, stdout %q, stderr %s", res.Code, res.Stdout, res.Stderr)
	}
	res = kluctltest.Run(t, ociEnv(t), append(args, "--output", "yaml")...)
	if res.Code != 0 || !strings.Contains(res.Stdout, "repository: "+e.host+"/kluctl/pushed\n") || !strings.Contains(res.Stdout, "tag: v3\n") {
		t.Fatalf("oci push -o yaml: exit %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}

	req, _ := http.NewRequest(http.MethodGet, "http://"+e.host+"/v2/kluctl/pushed/manifests/v3", nil)
	req.SetBasicAuth(ociUser, ociPassword)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Config      struct{ MediaType string }
		Layers      []struct{ MediaType string }
		Annotations map[string]string
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != "application/vnd.cncf.flux.config.v1+json" || len(m.Layers) != 1 || m.Layers[0].MediaType != "application/vnd.cncf.flux.content.v1.tar+gzip" {
		t.Errorf("artifact layout: %+v", m)
	}
	a := m.Annotations
	if a["team"] != "platform" || a["org.opencontainers.image.source"] != "https://user@example.com/org/project.git" || a["org.opencontainers.image.created"] == "" {
		t.Errorf("annotations: %v", a)
	}
	var gi map[string]any
	if err := json.Unmarshal([]byte(a["io.kluctl.image.git_info"]), &gi); err != nil || gi["url"] != "https://user@example.com/org/project.git" || gi["dirty"] != true {
		t.Errorf("git info annotation: %v (%v)", a["io.kluctl.image.git_info"], err)
	}
	if strings.Contains(fmt.Sprint(a), "git-pw") {
		t.Errorf("the git password was pushed")
	}

	// The ignored file is not in the artifact.
	inc := ociIncludingProject(t, fmt.Sprintf("{url: %q, ref: {tag: v3}}", e.reg.URL("kluctl/pushed")))
	res = renderIncluding(t, ociEnv(t), inc, e.credFlags(ociPassword)...)
	if res.Code != 0 {
		t.Fatalf("render the pushed project: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "cm")["a"]; got != "b" {
		t.Errorf("a = %v", got)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{"oci", "push", "--project-dir", dir}, `"url" not set`},
		{"not an oci url", []string{"oci", "push", "--project-dir", dir, "--url", "https://" + e.host + "/x"}, "not an oci:// URL"},
		{"bad annotation", []string{"oci", "push", "--project-dir", dir, "--url", e.reg.URL("x"), "--annotation", "novalue"}, "must be in the format key=value"},
		{"bad output", []string{"oci", "push", "--project-dir", dir, "--url", e.reg.URL("x"), "--output", "xml"}, "must be json or yaml"},
		{"no credentials", []string{"oci", "push", "--project-dir", dir, "--url", e.reg.URL("kluctl/x")}, "authentication failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := kluctltest.Run(t, ociEnv(t), tc.args...)
			if res.Code == 0 || !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("exit %d, stderr %s; want %q", res.Code, res.Stderr, tc.want)
			}
		})
	}
}
