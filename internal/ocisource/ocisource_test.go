package ocisource

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/kluctl-go/kluctl/internal/chartpull"
	"github.com/kluctl-go/kluctl/internal/chartserver"
	"github.com/kluctl-go/kluctl/internal/testfs"
)

const (
	testUser, testPassword = "pusher", "oci-s3cret"
)

func startRegistry(t *testing.T, user, password string) *chartserver.Registry {
	t.Helper()
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return reg
}

func basicRegistry(t *testing.T, host, user, password string) *Registry {
	t.Helper()
	creds := chartpull.RegistryCredentials{{Host: host, Username: user, Password: password, PlainHTTP: true}}
	if err := creds.Compile(); err != nil {
		t.Fatal(err)
	}
	return &Registry{Credentials: creds}
}

func testProject(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range map[string]string{
		"deployment.yml":     "deployments:\n  - path: cm\n",
		"cm/configmap.yml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  version: " + version + "\n",
		"scripts/run.sh":     "#!/bin/sh\n",
		"ignored/.gitignore": "*\n",
	} {
		writeTestFile(t, filepath.Join(dir, p), c)
	}
	if err := os.Chmod(filepath.Join(dir, "scripts/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newCache(t *testing.T, dir string) *Cache {
	t.Helper()
	c, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPushAndPull(t *testing.T) {
	reg := startRegistry(t, testUser, testPassword)
	r := basicRegistry(t, reg.Host(), testUser, testPassword)
	ctx := context.Background()
	u, tag, err := ParseTaggedURL(reg.URL("kluctl/base") + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := Push(ctx, r, u, tag, testProject(t, "v1"), map[string]string{"custom": "value", SourceAnnotation: "https://example.com/repo.git"})
	if err != nil {
		t.Fatal(err)
	}
	wantURL := "oci://" + reg.Host() + "/kluctl/base@" + pushed.Digest
	if pushed.URL != wantURL || pushed.Tag != "v1" || pushed.Repository != reg.Host()+"/kluctl/base" {
		t.Errorf("pushed = %+v", pushed)
	}

	c := newCache(t, t.TempDir())
	for _, ref := range []Ref{{Tag: "v1"}, {Digest: pushed.Digest}} {
		a, err := c.Pull(ctx, r, u.String(), ref)
		if err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		if a.Digest != pushed.Digest || a.URL != u.String() {
			t.Errorf("pulled %s %s, want %s", a.URL, a.Digest, pushed.Digest)
		}
		want := map[string]string{
			"deployment.yml": "deployments:\n  - path: cm\n", "cm/": "",
			"cm/configmap.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  version: v1\n",
			"scripts/":         "", "scripts/run.sh": "#!/bin/sh\n", "ignored/": "",
		}
		if diff := cmp.Diff(want, testfs.Tree(t, a.Dir)); diff != "" {
			t.Errorf("pulled files (-want +got):\n%s", diff)
		}
		if st, err := os.Stat(filepath.Join(a.Dir, "scripts/run.sh")); err != nil || st.Mode()&0o100 == 0 {
			t.Errorf("run.sh lost its executable bit: %v", err)
		}
		if a.Annotations["custom"] != "value" || a.Annotations[SourceAnnotation] != "https://example.com/repo.git" || a.Annotations[CreatedAnnotation] == "" {
			t.Errorf("annotations = %v", a.Annotations)
		}
		a.Release()
	}
}

func TestArtifactLayout(t *testing.T) {
	reg := startRegistry(t, "", "")
	u, _ := ParseURL(reg.URL("layout"))
	if _, err := Push(context.Background(), nil, u, "latest", testProject(t, "v1"), nil); err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{}).Do(mustRequest(t, "http://"+reg.Host()+"/v2/layout/manifests/latest"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
		Layers []struct {
			MediaType string `json:"mediaType"`
		} `json:"layers"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != string(ConfigMediaType) ||
		len(m.Layers) != 1 || m.Layers[0].MediaType != string(ContentMediaType) || m.Annotations[CreatedAnnotation] == "" {
		t.Errorf("manifest = %+v", m)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	return req
}

func TestPullFromCache(t *testing.T) {
	reg := startRegistry(t, testUser, testPassword)
	r := basicRegistry(t, reg.Host(), testUser, testPassword)
	ctx := context.Background()
	u, _ := ParseURL(reg.URL("kluctl/cached"))
	pushed, err := Push(ctx, r, u, "v1", testProject(t, "v1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, err := newCache(t, dir).Pull(ctx, r, u.String(), Ref{Digest: pushed.Digest})
	if err != nil {
		t.Fatal(err)
	}
	a.Release()
	reg.ResetRequests()
	// Another process (cache) on the same folder: a digest needs no
	// registry at all, a tag only its manifest.
	c := newCache(t, dir)
	if a, err = c.Pull(ctx, r, u.String(), Ref{Digest: pushed.Digest}); err != nil {
		t.Fatal(err)
	}
	a.Release()
	if got := reg.Requests(); len(got) != 0 {
		t.Errorf("requests for a cached digest: %v", got)
	}
	if a, err = c.Pull(ctx, r, u.String(), Ref{Tag: "v1"}); err != nil {
		t.Fatal(err)
	}
	a.Release()
	for _, req := range reg.Requests() {
		if strings.Contains(req, "/blobs/") {
			t.Errorf("a cached artifact was downloaded again: %v", reg.Requests())
		}
	}
}

func TestConcurrentPullsUnpackOnce(t *testing.T) {
	reg := startRegistry(t, "", "")
	ctx := context.Background()
	u, _ := ParseURL(reg.URL("kluctl/shared"))
	pushed, err := Push(ctx, nil, u, "v1", testProject(t, "v1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg.ResetRequests()
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			a, err := newCache(t, dir).Pull(ctx, nil, u.String(), Ref{Digest: pushed.Digest})
			if err == nil {
				_, err = os.Stat(filepath.Join(a.Dir, "deployment.yml"))
				a.Release()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("pull %d: %v", i, err)
		}
	}
	layerGets := 0
	for _, req := range reg.Requests() {
		if strings.HasPrefix(req, "GET ") && strings.Contains(req, "/blobs/") {
			layerGets++
		}
	}
	// The config blob is not read; the content layer once.
	if layerGets != 1 {
		t.Errorf("blob downloads = %d, want 1: %v", layerGets, reg.Requests())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(left) != 0 {
		t.Errorf("unpack folders left behind: %v", left)
	}
}

func TestPullErrors(t *testing.T) {
	reg := startRegistry(t, testUser, testPassword)
	ctx := context.Background()
	u, _ := ParseURL(reg.URL("kluctl/base"))
	if _, err := Push(ctx, basicRegistry(t, reg.Host(), testUser, testPassword), u, "v1", testProject(t, "v1"), nil); err != nil {
		t.Fatal(err)
	}
	c := newCache(t, t.TempDir())
	for _, tc := range []struct {
		name string
		reg  *Registry
		url  string
		ref  Ref
		want string
	}{
		{"no credentials", nil, u.String(), Ref{Tag: "v1"}, "authentication failed"},
		{"wrong password", basicRegistry(t, reg.Host(), testUser, "wrong"), u.String(), Ref{Tag: "v1"}, "authentication failed"},
		{"missing tag", basicRegistry(t, reg.Host(), testUser, testPassword), u.String(), Ref{Tag: "v9"}, "not found"},
		{"bad digest", nil, u.String(), Ref{Digest: "sha256:nope"}, "invalid digest"},
		{"tag and digest", nil, u.String(), Ref{Tag: "v1", Digest: "sha256:" + strings.Repeat("0", 64)}, "only one of tag and digest"},
		{"credentials in the url", nil, "oci://u:" + testPassword + "@" + reg.Host() + "/kluctl/base", Ref{}, "credentials in the url"},
		{"no oci url", nil, "https://" + reg.Host() + "/kluctl/base", Ref{}, "not an oci:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Pull(ctx, tc.reg, tc.url, tc.ref)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("the password appears in %v", err)
			}
		})
	}
}

// TestTokenAndDockerConfigAuth: a registry token is sent as a bearer
// token; without a matching credential the docker config's login is used.
func TestTokenAndDockerConfigAuth(t *testing.T) {
	const token = "registry-token-123"
	h := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, basic := r.BasicAuth()
		if r.Header.Get("Authorization") != "Bearer "+token && (!basic || u != testUser || p != testPassword) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	u, _ := ParseURL("oci://" + host + "/kluctl/token")
	creds := chartpull.RegistryCredentials{{Host: host, Repository: "kluctl/*", Token: token}}
	if err := creds.Compile(); err != nil {
		t.Fatal(err)
	}
	pushed, err := Push(ctx, &Registry{Credentials: creds}, u, "v1", testProject(t, "v1"), nil)
	if err != nil {
		t.Fatalf("push with a token: %v", err)
	}

	cfg := filepath.Join(t.TempDir(), "config.json")
	auth := fmt.Sprintf(`{"auths": {"http://%s": {"auth": %q}}}`, host, b64(testUser+":"+testPassword))
	writeTestFile(t, cfg, auth)
	a, err := newCache(t, t.TempDir()).Pull(ctx, &Registry{Keychain: &DockerConfig{Path: cfg}}, u.String(), Ref{Tag: "v1"})
	if err != nil {
		t.Fatalf("pull with the docker config's login: %v", err)
	}
	a.Release()
	if a.Digest != pushed.Digest {
		t.Errorf("digest %s, want %s", a.Digest, pushed.Digest)
	}
	if _, err := newCache(t, t.TempDir()).Pull(ctx, &Registry{Keychain: &DockerConfig{Path: filepath.Join(t.TempDir(), "missing.json")}}, u.String(), Ref{Tag: "v1"}); err == nil {
		t.Errorf("a missing docker config gave access")
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
