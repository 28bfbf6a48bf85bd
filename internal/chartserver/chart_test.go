package chartserver

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// tarNames lists the entry names of a .tgz.
func tarNames(t *testing.T, tgz []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func TestBuildChart(t *testing.T) {
	tests := []struct {
		name           string
		files          map[string]string
		wantAppVersion string
		wantDesc       string
		wantNames      []string
	}{
		{
			name: "generated Chart.yaml with templates and values",
			files: map[string]string{
				"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
				"values.yaml":       "a: 1\n",
			},
			wantAppVersion: "2.0.0",
			wantNames:      []string{"mychart/Chart.yaml", "mychart/templates/cm.yaml", "mychart/values.yaml"},
		},
		{
			name: "own Chart.yaml and a .helmignore that helm package honours",
			files: map[string]string{
				"Chart.yaml":  "apiVersion: v2\nname: mychart\nversion: 1.0.0\ndescription: own\n",
				".helmignore": "*.bak\n",
				"old.bak":     "ignored",
				"README.md":   "readme",
			},
			wantDesc:  "own",
			wantNames: []string{"mychart/.helmignore", "mychart/Chart.yaml", "mychart/README.md"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgz, err := BuildChart("mychart", "1.0.0", "2.0.0", tt.files)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := loader.LoadArchive(bytes.NewReader(tgz))
			if err != nil {
				t.Fatal(err)
			}
			if ch.Name() != "mychart" || ch.Metadata.Version != "1.0.0" || ch.Metadata.AppVersion != tt.wantAppVersion || ch.Metadata.Description != tt.wantDesc {
				t.Errorf("metadata = %+v", ch.Metadata)
			}
			names := tarNames(t, tgz)
			sort.Strings(names)
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("archive entries (-want +got):\n%s", diff)
			}
			zr, err := gzip.NewReader(bytes.NewReader(tgz))
			if err != nil {
				t.Fatal(err)
			}
			if zr.Comment != "Helm" {
				t.Errorf("gzip comment = %q, want helm package's %q", zr.Comment, "Helm")
			}
		})
	}
}

func TestBuildChartRejectsBadVersion(t *testing.T) {
	if _, err := BuildChart("mychart", "not-semver", "", nil); err == nil {
		t.Fatal("want an error for a version that is not semver")
	}
}

// readTree maps slash paths below dir to file contents.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestPackageDirRestoresIdenticalFiles(t *testing.T) {
	src := filepath.Join(t.TempDir(), "pulled")
	want := map[string]string{
		// Comments and key order that `helm package` would rewrite.
		"Chart.yaml":            "# pulled chart\nname: mychart\nversion: 1.2.3\napiVersion: v2\n",
		"values.yaml":           "# keep me\nreplicas: 1\n",
		"templates/deploy.yaml": "kind: Deployment\n",
		".helmignore":           "*.bak\n",
		"notes.bak":             "kept although .helmignore lists it",
		"charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
	}
	for p, content := range want {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tgz, err := PackageDir(src)
	if err != nil {
		t.Fatal(err)
	}
	again, err := PackageDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tgz, again) {
		t.Error("PackageDir is not deterministic")
	}
	names := tarNames(t, tgz)
	if !sort.StringsAreSorted(names) || len(names) != len(want) {
		t.Errorf("entries = %v, want %d sorted files", names, len(want))
	}

	out := t.TempDir()
	if err := chartutil.Expand(out, bytes.NewReader(tgz)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, readTree(t, filepath.Join(out, "mychart"))); diff != "" {
		t.Errorf("expanded files (-want +got):\n%s", diff)
	}
}

func TestPackageDirNeedsChartYaml(t *testing.T) {
	if _, err := PackageDir(t.TempDir()); err == nil {
		t.Fatal("want an error for a folder without Chart.yaml")
	}
}
