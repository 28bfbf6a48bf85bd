package chartserver

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/registry"
)

func startRegistry(t *testing.T, opts RegistryOptions) *Registry {
	t.Helper()
	r, err := StartRegistry(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// registryClient is the Helm SDK's registry client on plain http, with no
// stored credentials; empty user means anonymous.
func registryClient(t *testing.T, user, password string) *registry.Client {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	opts := []registry.ClientOption{
		registry.ClientOptPlainHTTP(),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	}
	if user != "" {
		opts = append(opts, registry.ClientOptBasicAuth(user, password))
	}
	c, err := registry.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRegistryPushPullAndTags(t *testing.T) {
	tests := []struct {
		name string
		opts RegistryOptions
	}{
		{name: "anonymous"},
		{name: "basic auth", opts: RegistryOptions{User: "u", Password: "p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRegistry(t, tt.opts)
			charts := map[string][]byte{}
			var ref string
			for _, v := range []string{"1.0.0", "1.2.0+build.1", "1.1.0"} {
				charts[v] = mustBuild(t, "mychart", v)
				var err error
				if ref, err = r.PushChart("charts/mychart", charts[v], ""); err != nil {
					t.Fatal(err)
				}
			}
			if want := r.Host() + "/charts/mychart:1.1.0"; ref != want {
				t.Errorf("ref = %q, want %q", ref, want)
			}
			if want := "oci://" + r.Host() + "/charts/mychart"; r.URL("charts/mychart") != want {
				t.Errorf("URL = %q, want %q", r.URL("charts/mychart"), want)
			}

			c := registryClient(t, tt.opts.User, tt.opts.Password)
			tags, err := c.Tags(strings.TrimPrefix(r.URL("charts/mychart"), "oci://"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"1.2.0+build.1", "1.1.0", "1.0.0"}, tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}

			res, err := c.Pull(r.URL("charts/mychart") + ":1.2.0+build.1")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.Chart.Data, charts["1.2.0+build.1"]) || res.Chart.Meta.Version != "1.2.0+build.1" {
				t.Errorf("pulled chart %+v is not the pushed one", res.Chart.Meta)
			}
			var manifest struct {
				Config struct{ MediaType string }   `json:"config"`
				Layers []struct{ MediaType string } `json:"layers"`
			}
			if err := json.Unmarshal(res.Manifest.Data, &manifest); err != nil {
				t.Fatal(err)
			}
			if manifest.Config.MediaType != registry.ConfigMediaType || len(manifest.Layers) != 1 || manifest.Layers[0].MediaType != registry.ChartLayerMediaType {
				t.Errorf("manifest = %s", res.Manifest.Data)
			}
			var config struct{ Name, Version string }
			if err := json.Unmarshal(res.Config.Data, &config); err != nil || config.Name != "mychart" || config.Version != "1.2.0+build.1" {
				t.Errorf("config = %s (%v)", res.Config.Data, err)
			}
		})
	}
}

func TestRegistryPushChartWithOtherTag(t *testing.T) {
	r := startRegistry(t, RegistryOptions{})
	ref, err := r.PushChart("/other/place/", mustBuild(t, "mychart", "1.0.0"), "2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if want := r.Host() + "/other/place:2.0.0"; ref != want {
		t.Errorf("ref = %q, want %q", ref, want)
	}
}

func TestRegistryRefuses(t *testing.T) {
	r := startRegistry(t, RegistryOptions{User: "u", Password: "p"})
	if _, err := r.PushChart("charts/mychart", mustBuild(t, "mychart", "1.0.0"), ""); err != nil {
		t.Fatal(err)
	}
	ref := r.URL("charts/mychart") + ":1.0.0"
	tests := []struct {
		name, user, password string
		wantErr              string
	}{
		// The client answers the Basic challenge without credentials.
		{name: "missing credentials", wantErr: "basic credential not found"},
		{name: "wrong password", user: "u", password: "wrong", wantErr: "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := registryClient(t, tt.user, tt.password)
			if _, err := c.Pull(ref); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("pull: err = %v, want one containing %q", err, tt.wantErr)
			}
			if _, err := c.Tags(strings.TrimPrefix(r.URL("charts/mychart"), "oci://")); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("tags: err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}

	r.ResetRequests()
	r.SetDown(true)
	start := time.Now()
	if _, err := registryClient(t, "u", "p").Pull(ref); err == nil {
		t.Error("pull from a down registry succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("pull from a down registry took %v, want a quick failure", d)
	}
	if got := r.Requests(); len(got) == 0 || !strings.HasPrefix(got[0], "HEAD /v2/charts/mychart/manifests/1.0.0") && !strings.HasPrefix(got[0], "GET /v2/charts/mychart/manifests/1.0.0") {
		t.Errorf("requests = %v", got)
	}
}
