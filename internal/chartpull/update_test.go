package chartpull

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/chartserver"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

func TestUpdateVersion(t *testing.T) {
	all := []string{"1.0.0", "1.0.1", "1.1.0", "1.2.0-rc.1", "2.0.0", "not-semver", "v2.1.0-beta.1"}
	for _, tc := range []struct {
		name        string
		current     string
		versions    []string
		constraints string
		want        string
		wantErr     string
	}{
		{name: "newest release without constraints", current: "1.0.0", versions: all, want: "2.0.0"},
		{name: "tilde constraints exclude the next major", current: "1.0.0", versions: all, constraints: "~1.0 || ~1.1", want: "1.1.0"},
		{name: "tilde patch range", current: "1.0.0", versions: all, constraints: "~1.0.0", want: "1.0.1"},
		{name: "caret range", current: "1.0.0", versions: all, constraints: "^1.0.0", want: "1.1.0"},
		{name: "pre-releases need a pre-release constraint", current: "1.1.0", versions: all, constraints: ">=1.1.0-0 <2.0.0-0", want: "1.2.0-rc.1"},
		{name: "pre-releases with a v prefix are returned as written", current: "2.0.0", versions: all, constraints: ">=2.0.0-0", want: "v2.1.0-beta.1"},
		{name: "already the newest", current: "2.0.0", versions: all, want: ""},
		{name: "never a downgrade", current: "3.0.0-rc.1", versions: all, want: ""},
		{name: "same version spelled differently", current: "v2.0.0", versions: all, want: ""},
		{name: "nothing satisfies the constraints", current: "1.0.0", versions: all, constraints: ">=5", wantErr: `no version found that satisfies the updateConstraints ">=5"`},
		{name: "only pre-releases", current: "1.0.0-rc.1", versions: []string{"1.0.0-rc.1"}, wantErr: "no version found"},
		{name: "bad constraints", current: "1.0.0", versions: all, constraints: "bogus!", wantErr: "invalid updateConstraints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UpdateVersion(tc.current, tc.versions, tc.constraints)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("UpdateVersion (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetChartVersionChangesOnlyTheVersion(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{
			name: "plain with comments",
			in:   "# the demo chart\nhelmChart:\n  repo: https://example.com/charts # repo\n  chartName: demo\n  chartVersion: 1.0.0 # pinned\n  updateConstraints: ~1.0\n  releaseName: demo\n",
			want: "# the demo chart\nhelmChart:\n  repo: https://example.com/charts # repo\n  chartName: demo\n  chartVersion: 1.1.0 # pinned\n  updateConstraints: ~1.0\n  releaseName: demo\n",
		},
		{
			name: "double quoted, CRLF",
			in:   "helmChart:\r\n  chartVersion: \"1.0.0\"\r\n  releaseName: demo\r\n",
			want: "helmChart:\r\n  chartVersion: \"1.1.0\"\r\n  releaseName: demo\r\n",
		},
		{
			name: "single quoted after a non-ASCII key comment",
			in:   "helmChart: # ä\n    chartVersion:   '1.0.0'\n    releaseName: \"ü\"\n",
			want: "helmChart: # ä\n    chartVersion:   '1.1.0'\n    releaseName: \"ü\"\n",
		},
		{
			name: "flow mapping",
			in:   "helmChart: {repo: oci://r/demo, chartVersion: 1.0.0, releaseName: demo}\n",
			want: "helmChart: {repo: oci://r/demo, chartVersion: 1.1.0, releaseName: demo}\n",
		},
		{
			name: "another chartVersion key elsewhere",
			in:   "other:\n  chartVersion: 1.0.0\nhelmChart:\n  chartVersion: 1.0.0\n",
			want: "other:\n  chartVersion: 1.0.0\nhelmChart:\n  chartVersion: 1.1.0\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SetChartVersion("helm-chart.yaml", []byte(tc.in), "1.1.0")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("SetChartVersion (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetChartVersionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "no chartVersion", in: "helmChart:\n  path: chart\n", want: "helm-chart.yaml: helmChart.chartVersion is not set"},
		{name: "block scalar", in: "helmChart:\n  chartVersion: |\n    1.0.0\n", want: "helm-chart.yaml:2: can not rewrite chartVersion"},
		{name: "not a string", in: "helmChart:\n  chartVersion: [1]\n", want: "helm-chart.yaml:2: chartVersion must be a string"},
		{name: "broken YAML", in: "helmChart: [\n", want: "helm-chart.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SetChartVersion("helm-chart.yaml", []byte(tc.in), "1.1.0")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestVersionsFromRealServers lists the versions of a chart in an http
// repository and in an OCI registry.
func TestVersionsFromRealServers(t *testing.T) {
	repo, err := chartserver.StartRepo(chartserver.RepoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = repo.Close() })
	reg, err := chartserver.StartRegistry(chartserver.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	want := []string{"1.0.0", "1.1.0", "2.0.0+build.1"}
	for _, v := range want {
		tgz, err := chartserver.BuildChart("demo", v, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Add("stable", tgz); err != nil {
			t.Fatal(err)
		}
		if _, err := reg.PushChart("charts/demo", tgz, ""); err != nil {
			t.Fatal(err)
		}
	}
	p, err := New(Options{Registry: RegistryCredentials{{Host: reg.Host(), PlainHTTP: true}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	load := func(body string) *helm.Config {
		t.Helper()
		cfg, err := helm.ParseConfig(filepath.Join(dir, "helm-chart.yaml"), []byte("helmChart:\n"+body+"  releaseName: demo\n"))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for name, cfg := range map[string]*helm.Config{
		"repo": load("  repo: " + repo.URL("stable") + "\n  chartName: demo\n  chartVersion: 1.0.0\n"),
		"oci":  load("  repo: " + reg.URL("charts/demo") + "\n  chartVersion: 1.0.0\n"),
	} {
		got, err := p.Versions(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s versions (-want +got):\n%s", name, diff)
		}
	}

	missing := load("  repo: " + repo.URL("stable") + "\n  chartName: nothere\n  chartVersion: 1.0.0\n")
	if _, err := p.Versions(context.Background(), missing); err == nil || !strings.Contains(err.Error(), "helm-chart.yaml") || !strings.Contains(err.Error(), "nothere") {
		t.Errorf("missing chart: %v", err)
	}
	git := load("  git:\n    url: https://example.com/charts.git\n    ref:\n      tag: v1.0.0\n")
	if _, err := p.Versions(context.Background(), git); !errors.Is(err, ErrGitVersions) {
		t.Errorf("git chart: %v", err)
	}
}

// TestOutOfDate reports missing and unused pulled versions.
func TestOutOfDate(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app/helm-chart.yaml", "helmChart:\n  repo: https://example.com/stable\n  chartName: demo\n  chartVersion: 1.1.0\n  releaseName: demo\n")
	write("local/helm-chart.yaml", "helmChart:\n  path: chart\n  releaseName: local\n")
	base := ".helm-charts/https_example.com/stable/demo/"
	got, err := OutOfDate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{base + "1.1.0"}, got); diff != "" {
		t.Errorf("nothing pulled (-want +got):\n%s", diff)
	}
	write(base+"1.1.0/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.1.0\n")
	write(base+"1.0.0/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.0.0\n")
	got, err = OutOfDate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{base + "1.0.0"}, got); diff != "" {
		t.Errorf("an unused version (-want +got):\n%s", diff)
	}
	if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(base+"1.0.0"))); err != nil {
		t.Fatal(err)
	}
	if got, err = OutOfDate(dir); err != nil || len(got) != 0 {
		t.Errorf("up to date: %v, %v", got, err)
	}
}
