package helm

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		fixture string
		// wantErr are substrings of the error, the first one usually
		// "<file>:<line>".
		wantErr []string
	}{
		{fixture: "unknown-field.yaml", wantErr: []string{"unknown-field.yaml:6:", `unknown field "valuesFile" in helmChart`}},
		{fixture: "unknown-git-ref-field.yaml", wantErr: []string{"unknown-git-ref-field.yaml:6:", `unknown field "revision" in helmChart.git.ref`}},
		{fixture: "unknown-top-level-field.yaml", wantErr: []string{"unknown-top-level-field.yaml:4:", `unknown field "helmValues"`}},
		{fixture: "repo-and-path.yaml", wantErr: []string{"repo-and-path.yaml:1:", "only one of repo, path and git"}},
		{fixture: "no-source.yaml", wantErr: []string{"one of repo, path or git must be set"}},
		{fixture: "missing-release-name.yaml", wantErr: []string{"releaseName must be set"}},
		{fixture: "http-repo-without-chart-name.yaml", wantErr: []string{"chartName must be set"}},
		{fixture: "repo-without-chart-version.yaml", wantErr: []string{"chartVersion must be set"}},
		{fixture: "oci-with-chart-name.yaml", wantErr: []string{"oci-with-chart-name.yaml:3:", "chartName can not be set"}},
		{fixture: "unsupported-repo-scheme.yaml", wantErr: []string{"unsupported-repo-scheme.yaml:2:", "must be an http://, https:// or oci:// URL"}},
		{fixture: "local-with-chart-version.yaml", wantErr: []string{"local-with-chart-version.yaml:3:", "chartVersion can not be set for local charts"}},
		{fixture: "git-with-two-refs.yaml", wantErr: []string{"git-with-two-refs.yaml:4:", "only one of branch, tag and commit"}},
		{fixture: "git-without-ref.yaml", wantErr: []string{"git.ref must set one of branch, tag or commit"}},
		{fixture: "wrong-type.yaml", wantErr: []string{"wrong-type.yaml", "line 4"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.fixture, ".yaml"), func(t *testing.T) {
			_, err := LoadConfig(filepath.Join("testdata", "config", tt.fixture))
			if err == nil {
				t.Fatal("LoadConfig succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	chartsDir := filepath.FromSlash("/project/.helm-charts")
	tests := []struct {
		fixture    string
		want       Config
		wantSource Source
		wantName   string
		// wantPulled is the pulled chart folder below chartsDir, slash
		// separated; empty for local charts.
		wantPulled string
		wantOutput string
	}{
		{
			fixture: "http-repo.yaml",
			want: Config{
				Repo: "https://Charts.Example.com/Stable", ChartName: "Demo", ChartVersion: "1.0.0",
				UpdateConstraints: "~1.0.0", ReleaseName: "demo", Namespace: "demo-ns", Output: "deploy.yml",
				SkipUpdate: true, CredentialsID: "mine",
			},
			wantSource: SourceRepo,
			wantName:   "Demo",
			wantPulled: "https_charts.example.com/stable/Demo/1.0.0",
			wantOutput: "deploy.yml",
		},
		{
			fixture:    "oci-repo.yaml",
			want:       Config{Repo: "oci://registry.example.com:5000/Charts/demo", ChartVersion: "1.2.3", ReleaseName: "demo"},
			wantSource: SourceOCI,
			wantName:   "demo",
			wantPulled: "oci_5000_registry.example.com/charts/demo/1.2.3",
			wantOutput: DefaultOutput,
		},
		{
			fixture: "git-repo.yaml",
			want: Config{
				Git:         &GitSource{URL: "git@github.com:Example/Charts.git", Ref: &GitRef{Tag: "v1.0.0"}, SubDir: "charts/Demo"},
				ReleaseName: "demo", SkipCRDs: true,
			},
			wantSource: SourceGit,
			wantName:   "Demo",
			wantPulled: "git_ssh_github.com/example/charts/charts/demo/refs/tags/v1.0.0",
			wantOutput: DefaultOutput,
		},
		{
			fixture: "git-repo-url-only.yaml",
			want: Config{
				Git:         &GitSource{URL: "https://github.com:8443/example/demo-chart", Ref: &GitRef{Legacy: "main"}},
				ReleaseName: "demo",
			},
			wantSource: SourceGit,
			wantName:   "demo-chart",
			wantPulled: "git_https_8443_github.com/example/demo-chart/main",
			wantOutput: DefaultOutput,
		},
		{
			fixture:    "local-path.yaml",
			want:       Config{Path: "../charts/demo", ReleaseName: "demo"},
			wantSource: SourceLocal,
			wantName:   "demo",
			wantOutput: DefaultOutput,
		},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.fixture, ".yaml"), func(t *testing.T) {
			file := filepath.Join("testdata", "config", tt.fixture)
			got, err := LoadConfig(file)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.File = file
			if diff := cmp.Diff(&tt.want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if got.Source() != tt.wantSource {
				t.Errorf("Source() = %v, want %v", got.Source(), tt.wantSource)
			}
			if got.Name() != tt.wantName {
				t.Errorf("Name() = %q, want %q", got.Name(), tt.wantName)
			}
			if got.OutputFile() != tt.wantOutput {
				t.Errorf("OutputFile() = %q, want %q", got.OutputFile(), tt.wantOutput)
			}
			dir, err := got.PulledChartDir(chartsDir)
			if tt.wantPulled == "" {
				if err == nil {
					t.Errorf("PulledChartDir() = %q, want an error for a local chart", dir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(chartsDir, filepath.FromSlash(tt.wantPulled)); dir != want {
				t.Errorf("PulledChartDir() = %q, want %q", dir, want)
			}
		})
	}
}

func TestOutputPath(t *testing.T) {
	tests := []struct {
		name    string
		output  string
		want    string
		wantErr bool
	}{
		{name: "default", want: "helm-rendered.yaml"},
		{name: "custom", output: "deploy.yml", want: "deploy.yml"},
		{name: "subfolder", output: "out/deploy.yml", want: "out/deploy.yml"},
		{name: "escaping", output: "../deploy.yml", wantErr: true},
		{name: "folder itself", output: ".", wantErr: true},
	}
	dir := filepath.FromSlash("/project/item")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Output: tt.output, File: filepath.Join(dir, "helm-chart.yaml")}
			got, err := c.OutputPath(c.File)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("OutputPath() = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, filepath.FromSlash(tt.want)); got != want {
				t.Errorf("OutputPath() = %q, want %q", got, want)
			}
		})
	}
}
