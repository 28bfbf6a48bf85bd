package webui

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// TestWebUILocalMode: without --in-cluster nobody logs in and everyone acts
// as admin with the kubeconfig's rights; --path-prefix, --only-api,
// --all-contexts, --open-browser and bad flags; webui build never replaces a foreign
// folder.
func TestWebUILocalMode(t *testing.T) {
	e := newEnv(t)

	// A kubeconfig with two contexts of the one cluster.
	cfg, err := clientcmd.LoadFromFile(e.c.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	second := *cfg.Contexts[e.c.Context()]
	cfg.Contexts["second"] = &second
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}

	base, _ := e.webui("--kubeconfig", kc, "--all-contexts", "--path-prefix", "/kluctl/")
	if !strings.HasSuffix(base, "/kluctl/") {
		t.Fatalf("the announced URL %s lacks the prefix", base)
	}
	root := strings.TrimSuffix(base, "kluctl/")
	code, b := httpGet(t, base+"auth/info")
	if code != 200 || !strings.Contains(string(b), `"authEnabled":false`) {
		t.Errorf("/kluctl/auth/info: %d %s", code, b)
	}
	if code, b := httpGet(t, base+"auth/user"); code != 200 || !strings.Contains(string(b), `{"username":"admin","isAdmin":true}`) {
		t.Errorf("/kluctl/auth/user: %d %s", code, b)
	}
	if code, _ := httpGet(t, base+"api/getShortNames"); code != 200 {
		t.Errorf("the API without login in local mode: %d", code)
	}
	if code, b := httpGet(t, base); code != 200 || !strings.Contains(string(b), "staticbuild.js") {
		t.Errorf("/kluctl/ serves no UI: %d %.200s", code, b)
	}
	if code, _ := httpGet(t, root+"auth/info"); code != http.StatusNotFound {
		t.Errorf("/auth/info outside the prefix: %d, want 404", code)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(strings.TrimSuffix(base, "/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || loc != "/kluctl/" {
		t.Errorf("/kluctl redirects with %d to %q, want 301 to /kluctl/", resp.StatusCode, loc)
	}
	if h := resp.Header.Get("X-Frame-Options"); h != "DENY" {
		t.Errorf("X-Frame-Options %q", h)
	}

	// Other sites: a name of theirs resolving to 127.0.0.1 (DNS
	// rebinding) reaches nothing, and a cross-site request changes nothing.
	rebound, err := http.NewRequest(http.MethodGet, base+"auth/user", nil)
	if err != nil {
		t.Fatal(err)
	}
	rebound.Host = "attacker.example:" + strings.Split(strings.TrimPrefix(base, "http://127.0.0.1:"), "/")[0]
	if resp, err := http.DefaultClient.Do(rebound); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request for another host name: %v %v, want 403", resp.Status, err)
	} else {
		resp.Body.Close()
	}
	crossSite, err := http.NewRequest(http.MethodPost, base+"api/deployNow", strings.NewReader(`{"name":"x","namespace":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	crossSite.Header.Set("Content-Type", "text/plain")
	if resp, err := http.DefaultClient.Do(crossSite); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site deployNow: %v %v, want 403", resp.Status, err)
	} else {
		resp.Body.Close()
	}

	apiOnly, _ := e.webui("--context", e.c.Context(), "--only-api")
	if code, _ := httpGet(t, apiOnly); code != http.StatusNotFound {
		t.Errorf("--only-api serves the UI: %d", code)
	}
	if code, _ := httpGet(t, apiOnly+"api/getShortNames"); code != 200 {
		t.Errorf("--only-api: getShortNames %d", code)
	}

	// --open-browser runs $BROWSER with the URL, which serves the UI.
	opened := filepath.Join(t.TempDir(), "opened")
	browser := filepath.Join(t.TempDir(), "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$@\" > "+opened+".tmp && mv "+opened+".tmp "+opened+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	announced, _ := e.webuiWithEnv([]string{"BROWSER=" + browser + " --new-tab"}, "--context", e.c.Context(), "--open-browser")
	var got []byte
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if got, err = os.ReadFile(opened); err == nil || time.Now().After(end) {
			break
		}
	}
	if want := "--new-tab " + announced + "\n"; string(got) != want {
		t.Errorf("the browser was started with %q, want %q", got, want)
	}
	if code, b := httpGet(t, announced); code != 200 || !strings.Contains(string(b), "staticbuild.js") {
		t.Errorf("the opened URL serves no UI: %d %.200s", code, b)
	}

	env := []string{"KUBECONFIG=" + kc}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{name: "an unknown context", args: []string{"webui", "run", "--context", "nope"}, want: `context "nope"`},
		{name: "contexts and all contexts", args: []string{"webui", "run", "--context", "second", "--all-contexts"}, want: "exclude each other"},
		{name: "in-cluster outside a pod", args: []string{"webui", "run", "--in-cluster"}, want: "--in-cluster-context"},
		{name: "a bad port", args: []string{"webui", "run", "--port", "70000"}, want: "no port"},
		{name: "build without path", args: []string{"webui", "build"}, want: `"path" not set`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := kluctltest.Run(t, env, tt.args...)
			if res.Code == 0 || !strings.Contains(res.Stderr, tt.want) || strings.Contains(res.Stderr, "goroutine") {
				t.Errorf("exit %d, stderr:\n%s\nwant an error containing %q", res.Code, res.Stderr, tt.want)
			}
		})
	}

	// webui build refuses to replace a folder that is no earlier build.
	foreign := t.TempDir()
	mine := filepath.Join(foreign, "notes.txt")
	if err := os.WriteFile(mine, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := kluctltest.Run(t, env, "webui", "build", "--path", foreign, "--context", "second")
	if res.Code == 0 || !strings.Contains(res.Stderr, "refusing to replace") {
		t.Errorf("build into a foreign folder: exit %d\n%s", res.Code, res.Stderr)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "keep me" {
		t.Errorf("the foreign folder's file: %q %v", b, err)
	}
	// An earlier build is replaced.
	site := filepath.Join(t.TempDir(), "site")
	for i := 0; i < 2; i++ {
		if res := kluctltest.Run(t, env, "webui", "build", "--path", site, "--context", "second"); res.Code != 0 {
			t.Fatalf("build %d: exit %d\n%s", i, res.Code, res.Stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(site, "index.html")); err != nil {
		t.Error(err)
	}
}
