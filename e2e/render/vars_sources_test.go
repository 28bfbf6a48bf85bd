package render

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// varsRepo commits the repository "vars" of e's server: a templated vars
// file on main (and tag v1) and on the staging branch, config files on
// main, staging and release-2.
func varsRepo(t *testing.T, e *includeEnv) (v1 string) {
	t.Helper()
	commit := func(branch string, files map[string]string) string {
		b := map[string][]byte{}
		for k, v := range files {
			b[k] = []byte(v)
		}
		h, err := e.srv.Commit("vars", branch, b, branch)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	v1 = commit("main", map[string]string{
		"vars/common.yaml": "common:\n  region: eu-{{ args.env }}\n  size: 3\n",
		"cfg/a.yaml":       "name: a\nport: 80\n",
		"cfg/sub/b.yaml":   "name: b\n---\nname: b2\n",
		"cfg/t.txt":        "env={{ args.env }}",
		"README.md":        "not matched",
	})
	if err := e.srv.Tag("vars", "v1", v1); err != nil {
		t.Fatal(err)
	}
	commit("main", map[string]string{"vars/common.yaml": "common:\n  region: eu-main\n  size: 4\n"})
	commit("staging", map[string]string{"vars/common.yaml": "common:\n  region: eu-staging\n", "cfg/a.yaml": "name: staging-a\n"})
	commit("release-2", map[string]string{"cfg/a.yaml": "name: release-a\n"})
	return v1
}

// varsProject is a project with the given vars list (YAML lines, indented
// by two) and one ConfigMap "out" with the given data template.
func varsProject(t *testing.T, vars, data string) string {
	return kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":   "targets:\n  - name: test\n    args:\n      env: testing\n",
		"deployment.yml": "vars:\n" + vars + "deployments:\n  - path: app\n",
		"app/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n  namespace: default\ndata:\n" + data,
	})
}

func TestGitVarsSourceLoadsRenderedFileAtRef(t *testing.T) {
	e := newIncludeEnv(t)
	v1 := varsRepo(t, e)
	url := e.srv.URL("vars")
	data := "  region: \"{{ common.region }}\"\n  size: \"{{ common.size | default('none') }}\"\n"
	for _, tc := range []struct {
		name, ref          string
		wantRegion, wantSz string
	}{
		{"default branch", "", "eu-main", "4"},
		{"branch", "ref: {branch: staging}", "eu-staging", "none"},
		{"tag", "ref: {tag: v1}", "eu-testing", "3"},
		{"commit", "ref: {commit: " + v1 + "}", "eu-testing", "3"},
		{"deprecated string ref", "ref: staging", "eu-staging", "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := fmt.Sprintf("  - git:\n      url: %s\n      path: vars/common.yaml\n      %s\n", url, tc.ref)
			vars += fmt.Sprintf("  - git:\n      url: %s\n      path: vars/missing.yaml\n    ignoreMissing: true\n", url)
			dir := varsProject(t, vars, data)
			res := renderIncluding(t, isolatedEnv(t), dir, libCreds(e)...)
			if res.Code != 0 {
				t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
			}
			got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "out")
			if got["region"] != tc.wantRegion || got["size"] != tc.wantSz {
				t.Errorf("data = %v, want region=%s size=%s", got, tc.wantRegion, tc.wantSz)
			}
		})
	}
}

func TestGitVarsSourceErrors(t *testing.T) {
	e := newIncludeEnv(t)
	varsRepo(t, e)
	url := e.srv.URL("vars")
	for _, tc := range []struct {
		name, vars string
		flags      []string
		want       []string
	}{
		{"missing file", fmt.Sprintf("  - git: {url: %q, path: vars/missing.yaml}\n", url), libCreds(e), []string{"vars[0]", "git " + url, "vars/missing.yaml not found", "ignoreMissing"}},
		{"path leaving the repository", fmt.Sprintf("  - git: {url: %q, path: ../../../etc/passwd}\n", url), libCreds(e), []string{"vars[0]", "leaves the repository"}},
		{"wrong password", fmt.Sprintf("  - git: {url: %q, path: vars/common.yaml}\n", url), []string{"--git-username=" + e.host + "/**=" + includeUser, "--git-password=" + e.host + "/**=wrong-password"}, []string{"vars[0]", "git " + url, "authentication required"}},
		{"missing branch", fmt.Sprintf("  - git: {url: %q, path: vars/common.yaml, ref: {branch: nope}}\n", url), libCreds(e), []string{"vars[0]", `branch "nope" not found`}},
		{"gitFiles without targetPath", fmt.Sprintf("  - gitFiles: {url: %q, files: [{glob: 'cfg/*'}]}\n", url), libCreds(e), []string{"vars[0]", "targetPath"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := varsProject(t, tc.vars, "  x: y\n")
			res := renderIncluding(t, isolatedEnv(t), dir, tc.flags...)
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stderr, includePassword) || strings.Contains(res.Stderr, "wrong-password") || strings.Contains(res.Stderr, "panic") {
				t.Errorf("password or panic in the output:\n%s", res.Stderr)
			}
		})
	}
}

func TestGitFilesVarsSource(t *testing.T) {
	e := newIncludeEnv(t)
	varsRepo(t, e)
	url := e.srv.URL("vars")
	files := "      files:\n        - glob: 'cfg/*.yaml'\n          parseYaml: true\n        - glob: 'cfg/**/*.yaml'\n          parseYaml: true\n          yamlMultiDoc: true\n        - glob: 'cfg/*.txt'\n          render: true\n"
	vars := fmt.Sprintf("  - gitFiles:\n      url: %s\n%s    targetPath: gf\n", url, files)
	data := `  refs: "{% for r in gf %}{{ r.refStr }}/{{ r.ref | tojson }};{% endfor %}"
  paths: "{% for f in gf[0].files %}{{ f.path }}:{{ f.size }}:{{ f.file.glob }};{% endfor %}"
  aName: "{{ gf[0].filesByPath['cfg/a.yaml'].parsed.name }}"
  aPort: "{{ gf[0].filesTree.cfg['a.yaml'].parsed.port + 1 }}"
  multi: "{{ gf[0].filesByPath['cfg/sub/b.yaml'].parsed | map(attribute='name') | join(',') }}"
  rendered: "{{ gf[0].filesByPath['cfg/t.txt'].content }}"
  hasParsed: "{{ gf[0].filesByPath['cfg/t.txt'].parsed is defined }}"
`
	res := renderIncluding(t, isolatedEnv(t), varsProject(t, vars, data), libCreds(e)...)
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "out")
	want := map[string]any{
		"refs":      `/{};`,
		"paths":     "cfg/a.yaml:17:cfg/*.yaml;cfg/sub/b.yaml:21:cfg/**/*.yaml;cfg/t.txt:18:cfg/*.txt;",
		"aName":     "a",
		"aPort":     "81",
		"multi":     "b,b2",
		"rendered":  "env=testing",
		"hasParsed": "False",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	// A branch pattern loads every matching branch, in name order; a
	// pattern lists the refs with the credentials of the URL.
	authURL := strings.Replace(url, "http://", "http://"+includeUser+":"+includePassword+"@", 1)
	for _, tc := range []struct{ name, url, ref, want string }{
		{"branch pattern", authURL, "{branch: 'release-.*|staging'}", "refs/heads/release-2=release-a;refs/heads/staging=staging-a;"},
		{"plain branch", url, "{branch: staging}", "refs/heads/staging=staging-a;"},
		{"tag", url, "{tag: v1}", "refs/tags/v1=a;"},
		{"no match", authURL, "{branch: 'nope-.*'}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := fmt.Sprintf("  - gitFiles:\n      url: %s\n      ref: %s\n      files: [{glob: cfg/a.yaml, parseYaml: true}]\n    targetPath: gf\n", tc.url, tc.ref)
			data := "  refs: \"{% for r in gf %}{{ r.refStr }}={{ r.files[0].parsed.name }};{% endfor %}\"\n"
			res := renderIncluding(t, isolatedEnv(t), varsProject(t, vars, data), libCreds(e)...)
			if res.Code != 0 {
				t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
			}
			if got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "out")["refs"]; got != tc.want {
				t.Errorf("refs = %q, want %q", got, tc.want)
			}
			if strings.Contains(res.Stderr, includePassword) {
				t.Errorf("the password appears on stderr:\n%s", res.Stderr)
			}
		})
	}
}

const (
	httpUser     = "vars-reader"
	httpPassword = "http-pw-4711"
	httpSecret   = "s3cr3t-http-value"
)

// varsHTTPServer is a real HTTP server on 127.0.0.1 that wants basic auth
// for everything but /public.
func varsHTTPServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); r.URL.Path != "/public.yaml" && (!ok || u != httpUser || p != httpPassword) {
			w.Header().Set("WWW-Authenticate", `Basic realm="vars"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/public.yaml":
			fmt.Fprint(w, "public:\n  color: blue\n")
		case "/vars.yaml":
			fmt.Fprint(w, "http:\n  token: "+httpSecret+"\n  port: 8080\n")
		case "/api":
			body, _ := io.ReadAll(r.Body)
			if r.Method != http.MethodPost || string(body) != `{"q": 1}` || r.Header.Get("X-Extra") != "yes" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			fmt.Fprint(w, `[{"data": "api:\n  answer: 42\n"}, {"data": "other: 1"}]`)
		case "/list":
			fmt.Fprint(w, `[1, 2]`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPVarsSource(t *testing.T) {
	srv := varsHTTPServer(t)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(httpUser+":"+httpPassword))
	hdr := fmt.Sprintf("      headers:\n        Authorization: %q\n", auth)
	vars := fmt.Sprintf("  - http:\n      url: %s/public.yaml\n", srv.URL) +
		fmt.Sprintf("  - http:\n      url: %s/vars.yaml\n%s", srv.URL, hdr) +
		fmt.Sprintf("  - http:\n      url: %s/api\n      method: post\n      body: '{\"q\": 1}'\n      jsonPath: $[0].data\n%s        X-Extra: \"yes\"\n", srv.URL, hdr) +
		fmt.Sprintf("  - http:\n      url: %s/missing.yaml\n%s    ignoreMissing: true\n", srv.URL, hdr)
	// The second ConfigMap is named after the secret, so that the
	// duplicate warning on stderr has a reason to name it.
	dir := kluctltest.WriteProject(t, map[string]string{
		"deployment.yml": "vars:\n" + vars + "deployments:\n  - path: app\n  - path: again\n",
		"app/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n  namespace: default\ndata:\n  color: \"{{ public.color }}\"\n  port: \"{{ http.port + 1 }}\"\n  answer: \"{{ api.answer }}\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ http.token }}\"\n  namespace: default\n",
		"again/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ http.token }}\"\n  namespace: default\n",
	})
	res := kluctltest.Run(t, tempEnv(t), "render", "--project-dir", dir, "--offline-kubernetes", "--print-all", "--debug")
	if res.Code != 0 {
		t.Fatalf("render: exit %d: %s", res.Code, res.Stderr)
	}
	got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "out")
	for k, v := range map[string]string{"color": "blue", "port": "8081", "answer": "42"} {
		if got[k] != v {
			t.Errorf("%s = %v, want %s", k, got[k], v)
		}
	}
	for _, s := range []string{httpSecret, httpPassword, auth} {
		if strings.Contains(res.Stderr, s) {
			t.Errorf("stderr leaks %q:\n%s", s, res.Stderr)
		}
	}
	if !strings.Contains(res.Stderr, "again") {
		t.Errorf("the duplicate warning is missing; stderr:\n%s", res.Stderr)
	}
}

func TestHTTPVarsSourceErrors(t *testing.T) {
	srv := varsHTTPServer(t)
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte(httpUser+":wrong-pw-999"))
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte(httpUser+":"+httpPassword))
	for _, tc := range []struct{ name, src, want string }{
		{"no credentials", fmt.Sprintf("{url: %q}", srv.URL+"/vars.yaml"), "status code 401"},
		{"wrong credentials", fmt.Sprintf("{url: %q, headers: {Authorization: %q}}", srv.URL+"/vars.yaml", wrong), "status code 401"},
		{"not found", fmt.Sprintf("{url: %q, headers: {Authorization: %q}}", srv.URL+"/missing.yaml", good), "status code 404"},
		{"not an object", fmt.Sprintf("{url: %q, headers: {Authorization: %q}}", srv.URL+"/list", good), "not an object"},
		{"jsonPath not found", fmt.Sprintf("{url: %q, method: POST, body: '{\"q\": 1}', headers: {Authorization: %q, X-Extra: 'yes'}, jsonPath: '$[5].data'}", srv.URL+"/api", good), "not found in the response"},
		{"password in url", fmt.Sprintf("{url: %q}", strings.Replace(srv.URL, "http://", "http://"+httpUser+":wrong-pw-999@", 1)+"/vars.yaml?token=abc"), "status code 401"},
		{"unreachable", `{url: "http://127.0.0.1:1/vars.yaml"}`, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := varsProject(t, "  - http: "+tc.src+"\n", "  x: y\n")
			res := renderIncluding(t, tempEnv(t), dir)
			if res.Code == 0 {
				t.Fatalf("render succeeded:\n%s", res.Stdout)
			}
			for _, w := range []string{"vars[0]", "http vars source http://", tc.want} {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("error does not mention %q:\n%s", w, res.Stderr)
				}
			}
			for _, s := range []string{"wrong-pw-999", wrong, "token=abc"} {
				if strings.Contains(res.Stderr, s) {
					t.Errorf("stderr leaks %q:\n%s", s, res.Stderr)
				}
			}
		})
	}
}
