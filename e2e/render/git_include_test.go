package render

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/gitserver"
)

const (
	includeUser     = "reader"
	includePassword = "s3cr3t-include-pw"
)

// sharedBase is the repository holding a base project below bases/app:
// a deployment.yml with one item whose ConfigMap carries version and a
// configMapGenerator (built by Kustomize on disk).
func sharedBase(version string) map[string][]byte {
	return map[string][]byte{
		"bases/app/deployment.yml": []byte("deployments:\n  - path: cm\n"),
		"bases/app/cm/kustomization.yml": []byte(`resources:
  - cm.yml
configMapGenerator:
  - name: generated
    namespace: default
    literals:
      - version=` + version + `
generatorOptions:
  disableNameSuffixHash: true
`),
		"bases/app/cm/cm.yml": []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: base-{{ target.name }}
  namespace: default
data:
  version: "` + version + `"
  env: "{{ args.env }}"
`),
	}
}

// includingProject is a project whose only item includes the shared
// base from git (gitItem is the YAML of the git field).
func includingProject(t *testing.T, gitItem string) string {
	return kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    "targets:\n  - name: test\n    args:\n      env: testing\n",
		"deployment.yml":  "deployments:\n  - git: " + gitItem + "\n    tags: [base]\n",
		"unrelated/x.txt": "x",
	})
}

type includeEnv struct {
	srv  *gitserver.Server
	host string // host:port of the server
	// commits of the shared repository: v1 (tagged v1), v2 (main), and
	// the feature branch.
	v1, v2, feature string
}

func newIncludeEnv(t *testing.T) *includeEnv {
	t.Helper()
	srv, err := gitserver.Start(t.TempDir(), gitserver.Options{User: includeUser, Password: includePassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &includeEnv{srv: srv, host: strings.TrimSuffix(strings.TrimPrefix(srv.URL("x"), "http://"), "/x.git")}
	if e.v1, err = srv.Commit("shared", "main", sharedBase("v1"), "v1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Tag("shared", "v1", e.v1); err != nil {
		t.Fatal(err)
	}
	if e.v2, err = srv.Commit("shared", "main", sharedBase("v2"), "v2"); err != nil {
		t.Fatal(err)
	}
	if e.feature, err = srv.Commit("shared", "feature", sharedBase("feature"), "feature"); err != nil {
		t.Fatal(err)
	}
	return e
}

// credFlags are the --git-username/--git-password flags for the server.
func (e *includeEnv) credFlags(password string) []string {
	return []string{"--git-username=" + e.host + "/shared*=" + includeUser, "--git-password=" + e.host + "/shared*=" + password}
}

// isolatedEnv is tempEnv with HOME in the test's folders too, so no ssh
// key or known_hosts of the user is used.
func isolatedEnv(t *testing.T, extra ...string) []string {
	return tempEnv(t, append([]string{"HOME=" + t.TempDir(), "SSH_AUTH_SOCK="}, extra...)...)
}

func renderIncluding(t *testing.T, env []string, dir string, extra ...string) kluctltest.Result {
	t.Helper()
	args := append([]string{"render", "--project-dir", dir, "--offline-kubernetes", "--print-all", "-t", "test"}, extra...)
	return kluctltest.Run(t, env, args...)
}

func TestGitIncludeRendersLikeACopiedBase(t *testing.T) {
	e := newIncludeEnv(t)
	url := e.srv.URL("shared")

	// The same project with the base copied in (at the same path, so the
	// deployment-item-dir annotations agree).
	files := map[string]string{
		".kluctl.yaml":   "targets:\n  - name: test\n    args:\n      env: testing\n",
		"deployment.yml": "deployments:\n  - include: bases/app\n    tags: [base]\n",
	}
	for _, version := range []string{"v1", "v2", "feature"} {
		copied := map[string]string{}
		for k, v := range files {
			copied[k] = v
		}
		for p, b := range sharedBase(version) {
			copied[p] = string(b)
		}
		want := mustRender(t, kluctltest.WriteProject(t, copied), "-t", "test")
		if len(want) != 2 {
			t.Fatalf("copied base renders %d objects, want 2", len(want))
		}
		for _, tc := range []struct{ name, item string }{
			{"branch", fmt.Sprintf("{url: %q, ref: {branch: %s}, subDir: bases/app}", url, map[string]string{"v1": "", "v2": "main", "feature": "feature"}[version])},
			{"tag", fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", url)},
			{"commit", fmt.Sprintf("{url: %q, ref: {commit: %s}, subDir: bases/app}", url, map[string]string{"v1": e.v1, "v2": e.v2, "feature": e.feature}[version])},
			{"deprecated string ref", fmt.Sprintf("{url: %q, ref: %s, subDir: bases/app}", url, map[string]string{"v1": "v1", "v2": "main", "feature": "feature"}[version])},
			{"default branch", fmt.Sprintf("{url: %q, subDir: bases/app}", url)},
		} {
			// Only the combinations that select this version.
			if (tc.name == "tag" && version != "v1") || (tc.name == "default branch" && version != "v2") || (tc.name == "branch" && version == "v1") {
				continue
			}
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				dir := includingProject(t, tc.item)
				res := renderIncluding(t, isolatedEnv(t), dir, e.credFlags(includePassword)...)
				checkRendersLikeCopy(t, "git", want, res, includePassword)
			})
		}
	}
}

func TestGitIncludeErrors(t *testing.T) {
	e := newIncludeEnv(t)
	url := e.srv.URL("shared")
	item := fmt.Sprintf("{url: %q, ref: {branch: main}, subDir: bases/app}", url)
	for _, tc := range []struct {
		name  string
		item  string
		flags []string
		want  []string
	}{
		{"no credentials", item, nil, []string{"deployment.yml", "deployments[0].git", "authentication required"}},
		{"wrong password", item, e.credFlags("wrong-password"), []string{"deployment.yml", "deployments[0].git", "authentication required"}},
		{"missing branch", fmt.Sprintf("{url: %q, ref: {branch: nope}}", url), e.credFlags(includePassword), []string{"deployments[0].git", `branch "nope" not found`}},
		{"missing repository", fmt.Sprintf("{url: %q}", e.srv.URL("nothere")), e.credFlags(includePassword), []string{"deployments[0].git", "nothere"}},
		{"subDir leaving the repository", fmt.Sprintf("{url: %q, subDir: ../../etc}", url), e.credFlags(includePassword), []string{"deployments[0].git.subDir", "leaves the repository"}},
		{"missing subDir", fmt.Sprintf("{url: %q, subDir: nothere}", url), e.credFlags(includePassword), []string{"deployments[0].git.subDir", "does not exist"}},
		{"two refs", fmt.Sprintf("{url: %q, ref: {branch: main, tag: v1}}", url), nil, []string{"deployment.yml", "deployments[0].git.ref", "only one of branch, tag and commit"}},
		{"url with password", fmt.Sprintf("{url: %q}", strings.Replace(e.srv.URL("nothere"), "http://", "http://u:"+includePassword+"@", 1)), nil, []string{"deployments[0].git"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := includingProject(t, tc.item)
			res := renderIncluding(t, isolatedEnv(t), dir, tc.flags...)
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stdout+res.Stderr, includePassword) || strings.Contains(res.Stderr, "wrong-password") {
				t.Errorf("a password appears in the output:\n%s", res.Stderr)
			}
			if strings.Contains(res.Stderr, "goroutine ") || strings.Contains(res.Stderr, "panic") {
				t.Errorf("stack trace in the output:\n%s", res.Stderr)
			}
		})
	}
}

func TestGitIncludeCredentialsFromEnvironment(t *testing.T) {
	e := newIncludeEnv(t)
	dir := includingProject(t, fmt.Sprintf("{url: %q, subDir: bases/app}", e.srv.URL("shared")))
	env := isolatedEnv(t, "KLUCTL_GIT_0_HOST="+e.host, "KLUCTL_GIT_0_PATH=shared*", "KLUCTL_GIT_0_USERNAME="+includeUser, "KLUCTL_GIT_0_PASSWORD="+includePassword)
	res := renderIncluding(t, env, dir)
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != "v2" {
		t.Errorf("version = %v, want v2", got)
	}
	// A path glob that does not match leaves the repository without
	// credentials.
	env = isolatedEnv(t, "KLUCTL_GIT_HOST="+e.host, "KLUCTL_GIT_PATH=other/*", "KLUCTL_GIT_USERNAME="+includeUser, "KLUCTL_GIT_PASSWORD="+includePassword)
	if res := renderIncluding(t, env, dir); res.Code == 0 || !strings.Contains(res.Stderr, "authentication required") {
		t.Errorf("credentials for another path were used (exit %d): %s", res.Code, res.Stderr)
	}
}

func TestGitIncludeOverSSH(t *testing.T) {
	e := newIncludeEnv(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := e.srv.StartSSH(gitserver.SSHOptions{AuthorizedKeys: []ssh.PublicKey{sshPub}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	tmp := t.TempDir()
	keyFile := filepath.Join(tmp, "id")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(tmp, "known_hosts")
	if err := os.WriteFile(known, []byte(ss.KnownHosts()), 0o600); err != nil {
		t.Fatal(err)
	}
	// known_hosts naming the server with another key.
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ssh.NewPublicKey(otherPub)
	wrongKnown := filepath.Join(tmp, "wrong_known_hosts")
	host, port, _ := strings.Cut(ss.Addr(), ":")
	if err := os.WriteFile(wrongKnown, []byte(fmt.Sprintf("[%s]:%s %s", host, port, ssh.MarshalAuthorizedKey(otherKey))), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := includingProject(t, fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", ss.URL("shared")))

	res := renderIncluding(t, isolatedEnv(t), dir, "--git-ssh-key-file="+host+"/shared*="+keyFile, "--git-ssh-known-hosts-file="+host+"/shared*="+known)
	if res.Code != 0 {
		t.Fatalf("render over ssh: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != "v1" {
		t.Errorf("version = %v, want v1", got)
	}

	res = renderIncluding(t, isolatedEnv(t), dir, "--git-ssh-key-file="+host+"/shared*="+keyFile, "--git-ssh-known-hosts-file="+host+"/shared*="+wrongKnown)
	if res.Code == 0 || !strings.Contains(res.Stderr, "does not match known_hosts") {
		t.Errorf("a changed host key must be refused (exit %d): %s", res.Code, res.Stderr)
	}
	res = renderIncluding(t, isolatedEnv(t), dir, "--git-ssh-key-file="+host+"/shared*="+keyFile)
	if res.Code == 0 || !strings.Contains(res.Stderr, "known_hosts") {
		t.Errorf("an unknown host must be refused (exit %d): %s", res.Code, res.Stderr)
	}
	if strings.Contains(res.Stderr, "PRIVATE KEY") {
		t.Errorf("the private key appears in the output")
	}
}

func TestGitIncludeLocalOverride(t *testing.T) {
	e := newIncludeEnv(t)
	dir := includingProject(t, fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", e.srv.URL("shared")))
	// A working copy with an uncommitted change (no credentials are given:
	// the server is never asked).
	work := t.TempDir()
	for p, b := range sharedBase("local-uncommitted") {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, flag := range []string{
		"--local-git-override=" + e.host + "/shared=" + work,
		"--local-git-group-override=" + e.host + "=" + filepath.Dir(work) + "/",
	} {
		args := []string{flag}
		if strings.Contains(flag, "group") {
			// The group override appends the repository's name.
			if err := os.Rename(work, filepath.Join(filepath.Dir(work), "shared")); err != nil {
				t.Fatal(err)
			}
			work = filepath.Join(filepath.Dir(work), "shared")
		}
		res := renderIncluding(t, isolatedEnv(t), dir, args...)
		if res.Code != 0 {
			t.Fatalf("render %s: exit %d: %s", flag, res.Code, res.Stderr)
		}
		if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != "local-uncommitted" {
			t.Errorf("%s: version = %v, want the local working copy's", flag, got)
		}
	}
}

func TestGitIncludeConcurrentRendersShareOneClone(t *testing.T) {
	e := newIncludeEnv(t)
	env := isolatedEnv(t)
	dirs := []string{
		includingProject(t, fmt.Sprintf("{url: %q, ref: {tag: v1}, subDir: bases/app}", e.srv.URL("shared"))),
		includingProject(t, fmt.Sprintf("{url: %q, ref: {branch: feature}, subDir: bases/app}", e.srv.URL("shared"))),
	}
	want := []string{"v1", "feature"}
	var wg sync.WaitGroup
	results := make([]kluctltest.Result, len(dirs))
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = renderIncluding(t, env, dirs[i], e.credFlags(includePassword)...)
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.Code != 0 {
			t.Fatalf("render %d: exit %d: %s", i, res.Code, res.Stderr)
		}
		if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != want[i] {
			t.Errorf("render %d: version = %v, want %s", i, got, want[i])
		}
	}
	var cache string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_CACHE_HOME="); ok {
			cache = filepath.Join(v, "kluctl", "git")
		}
	}
	mirrors, _ := filepath.Glob(filepath.Join(cache, "mirrors", "*.lock"))
	if len(mirrors) != 1 {
		t.Errorf("mirrors in the shared cache: %v, want exactly one", mirrors)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "exports-*")); len(left) != 0 {
		t.Errorf("exports left behind: %v", left)
	}
}

func TestGitIncludeCycleAndDistinctErrors(t *testing.T) {
	open, err := gitserver.Start(t.TempDir(), gitserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = open.Close() })
	// a includes b, b includes a: the cycle guard stops it.
	for _, r := range [][2]string{{"cycle-a", "cycle-b"}, {"cycle-b", "cycle-a"}} {
		if _, err := open.Commit(r[0], "main", map[string][]byte{"deployment.yml": fmt.Appendf(nil, "deployments:\n  - git: %s\n", open.URL(r[1]))}, "cycle"); err != nil {
			t.Fatal(err)
		}
	}
	dir := includingProject(t, fmt.Sprintf("%q", open.URL("cycle-a")))
	res := renderIncluding(t, isolatedEnv(t), dir)
	if res.Code == 0 || !strings.Contains(res.Stderr, "include cycle") {
		t.Errorf("include cycle: exit %d: %s", res.Code, res.Stderr)
	}

	// A repository that does not exist (on a server without auth).
	dir = includingProject(t, fmt.Sprintf("%q", open.URL("nothere")))
	res = renderIncluding(t, isolatedEnv(t), dir)
	if res.Code == 0 || !strings.Contains(res.Stderr, "repository not found") || !strings.Contains(res.Stderr, "deployments[0].git") {
		t.Errorf("missing repository: exit %d: %s", res.Code, res.Stderr)
	}

	// A server that accepts connections and never answers: the timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	dir = includingProject(t, fmt.Sprintf("%q", "http://"+ln.Addr().String()+"/silent.git"))
	start := time.Now()
	res = renderIncluding(t, isolatedEnv(t), dir, "--timeout", "2s")
	if res.Code == 0 || !strings.Contains(res.Stderr, "deadline exceeded") || !strings.Contains(res.Stderr, "deployments[0].git") {
		t.Errorf("silent server: exit %d: %s", res.Code, res.Stderr)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("the timeout did not stop the fetch")
	}
}

// TestGitIncludeCredentialsFromGitCredentialStore: ~/.git-credentials
// (git's credential store) serves https includes, as in the original.
func TestGitIncludeCredentialsFromGitCredentialStore(t *testing.T) {
	e := newIncludeEnv(t)
	dir := includingProject(t, fmt.Sprintf("{url: %q, subDir: bases/app}", e.srv.URL("shared")))
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".git-credentials"), "https://other:x@example.com\nhttp://"+includeUser+":"+includePassword+"@"+e.host+"\n")
	res := renderIncluding(t, tempEnv(t, "HOME="+home, "SSH_AUTH_SOCK="), dir)
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "base-test")["version"]; got != "v2" {
		t.Errorf("version = %v, want v2", got)
	}
}

// checkRendersLikeCopy checks that an include (of kind git or oci)
// rendered res as the project with the base copied in renders want, and
// that password shows nowhere.
func checkRendersLikeCopy(t *testing.T, kind string, want map[string]map[string]any, res kluctltest.Result, password string) {
	t.Helper()
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	if diff := cmp.Diff(want, parseObjects(t, []byte(res.Stdout))); diff != "" {
		t.Errorf("%s include renders differently from the copied base (-want +got):\n%s", kind, diff)
	}
	if strings.Contains(res.Stdout+res.Stderr, password) {
		t.Errorf("the password appears in the output")
	}
}
