package chartserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/repo"
)

func mustBuild(t *testing.T, name, version string) []byte {
	t.Helper()
	tgz, err := BuildChart(name, version, "1.0", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n",
		"values.yaml":       "x: 1\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tgz
}

func startRepo(t *testing.T, opts RepoOptions) *Repo {
	t.Helper()
	r, err := StartRepo(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// fetch downloads url with Helm's http getter, as `helm pull` and
// `helm repo update` do.
func fetch(t *testing.T, url string, opts ...getter.Option) ([]byte, error) {
	t.Helper()
	g, err := getter.NewHTTPGetter(append([]getter.Option{getter.WithURL(url), getter.WithTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	buf, err := g.Get(url)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func TestRepoServesIndexAndCharts(t *testing.T) {
	tests := []struct {
		name string
		opts RepoOptions
		// client returns the getter options a configured Helm uses.
		client func(r *Repo) []getter.Option
	}{
		{name: "plain http", client: func(*Repo) []getter.Option { return nil }},
		{
			name:   "basic auth",
			opts:   RepoOptions{User: "u", Password: "p"},
			client: func(*Repo) []getter.Option { return []getter.Option{getter.WithBasicAuth("u", "p")} },
		},
		{
			name: "tls with the CA file",
			opts: RepoOptions{TLS: true},
			client: func(r *Repo) []getter.Option {
				return []getter.Option{getter.WithTLSClientConfig("", "", r.CAFile())}
			},
		},
		{
			name: "client certificate and basic auth",
			opts: RepoOptions{ClientCert: true, User: "u", Password: "p"},
			client: func(r *Repo) []getter.Option {
				return []getter.Option{getter.WithTLSClientConfig(r.CertFile(), r.KeyFile(), r.CAFile()), getter.WithBasicAuth("u", "p")}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRepo(t, tt.opts)
			v1, v2 := mustBuild(t, "mychart", "1.0.0"), mustBuild(t, "mychart", "1.1.0")
			for _, tgz := range [][]byte{v1, v2} {
				if err := r.Add("charts/stable", tgz); err != nil {
					t.Fatal(err)
				}
			}
			opts := tt.client(r)
			b, err := fetch(t, r.URL("charts/stable")+"/index.yaml", opts...)
			if err != nil {
				t.Fatal(err)
			}
			indexPath := filepath.Join(t.TempDir(), "index.yaml")
			if err := os.WriteFile(indexPath, b, 0o644); err != nil {
				t.Fatal(err)
			}
			idx, err := repo.LoadIndexFile(indexPath)
			if err != nil {
				t.Fatal(err)
			}
			cv, err := idx.Get("mychart", "")
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(v2)
			if cv.Version != "1.1.0" || cv.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("latest = %s with digest %s", cv.Version, cv.Digest)
			}
			if diff := cmp.Diff([]string{"mychart-1.1.0.tgz"}, cv.URLs); diff != "" {
				t.Errorf("urls (-want +got):\n%s", diff)
			}

			got, err := fetch(t, r.URL("charts/stable")+"/"+cv.URLs[0], opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v2) {
				t.Error("downloaded chart differs from the added one")
			}
			ch, err := loader.LoadArchive(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if ch.Metadata.Version != "1.1.0" || len(ch.Templates) != 1 {
				t.Errorf("loaded chart %+v with %d templates", ch.Metadata, len(ch.Templates))
			}
			if r.Requests()[0] != "GET /charts/stable/index.yaml" {
				t.Errorf("requests = %v", r.Requests())
			}
		})
	}
}

func TestRepoRefuses(t *testing.T) {
	auth := startRepo(t, RepoOptions{User: "u", Password: "p"})
	certs := startRepo(t, RepoOptions{ClientCert: true})
	for _, r := range []*Repo{auth, certs} {
		if err := r.Add("", mustBuild(t, "mychart", "1.0.0")); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		url     string
		opts    []getter.Option
		wantErr string
	}{
		{name: "wrong password", url: auth.URL("") + "/index.yaml", opts: []getter.Option{getter.WithBasicAuth("u", "wrong")}, wantErr: "401"},
		{name: "no credentials", url: auth.URL("") + "/mychart-1.0.0.tgz", wantErr: "401"},
		{name: "unknown chart", url: auth.URL("") + "/other-1.0.0.tgz", opts: []getter.Option{getter.WithBasicAuth("u", "p")}, wantErr: "404"},
		{name: "unknown CA", url: certs.URL("") + "/index.yaml", wantErr: "certificate"},
		{name: "no client certificate", url: certs.URL("") + "/index.yaml", opts: []getter.Option{getter.WithTLSClientConfig("", "", certs.CAFile())}, wantErr: "certificate required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fetch(t, tt.url, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRepoDownAbortAndDelay(t *testing.T) {
	r := startRepo(t, RepoOptions{})
	tgz := mustBuild(t, "mychart", "1.0.0")
	if err := r.Add("charts", tgz); err != nil {
		t.Fatal(err)
	}
	chartURL := r.URL("charts") + "/mychart-1.0.0.tgz"

	r.SetDown(true)
	if _, err := fetch(t, chartURL); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("down: err = %v, want 503", err)
	}
	r.SetDown(false)

	r.SetAbortDownloads(true)
	if _, err := fetch(t, r.URL("charts")+"/index.yaml"); err != nil {
		t.Errorf("index.yaml is served whole while downloads abort: %v", err)
	}
	if _, err := fetch(t, chartURL); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("aborted download: err = %v, want unexpected EOF", err)
	}
	r.SetAbortDownloads(false)

	r.SetDownloadDelay(5 * time.Second)
	start := time.Now()
	if _, err := fetch(t, chartURL, getter.WithTimeout(200*time.Millisecond)); err == nil {
		t.Error("slow download did not time out")
	}
	if time.Since(start) > 4*time.Second {
		t.Error("timeout took as long as the delay")
	}
	r.SetDownloadDelay(0)

	got, err := fetch(t, chartURL)
	if err != nil || !bytes.Equal(got, tgz) {
		t.Fatalf("after recovery: err = %v, equal = %v", err, bytes.Equal(got, tgz))
	}
	want := []string{"GET /charts/mychart-1.0.0.tgz", "GET /charts/index.yaml", "GET /charts/mychart-1.0.0.tgz", "GET /charts/mychart-1.0.0.tgz", "GET /charts/mychart-1.0.0.tgz"}
	if diff := cmp.Diff(want, r.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	r.ResetRequests()
	if len(r.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

func TestRepoAddReplacesSameVersion(t *testing.T) {
	r := startRepo(t, RepoOptions{})
	first := mustBuild(t, "mychart", "1.0.0")
	second, err := BuildChart("mychart", "1.0.0", "1.0", map[string]string{"values.yaml": "rebuilt: true\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tgz := range [][]byte{first, second} {
		if err := r.Add("charts", tgz); err != nil {
			t.Fatal(err)
		}
	}
	b, err := fetch(t, r.URL("charts")+"/index.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "mychart-1.0.0.tgz"); n != 1 {
		t.Errorf("index lists mychart-1.0.0.tgz %d times:\n%s", n, b)
	}
	got, err := fetch(t, r.URL("charts")+"/mychart-1.0.0.tgz")
	if err != nil || !bytes.Equal(got, second) {
		t.Fatalf("err = %v, want the second archive", err)
	}
}
