package chartserver

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// BuildChart packages a chart the way `helm package` does and returns the
// .tgz bytes. Chart.yaml (apiVersion v2) is written from name, version and
// appVersion unless files has its own "Chart.yaml"; files maps slash paths
// inside the chart (templates/cm.yaml, values.yaml, ...) to their content.
func BuildChart(name, version, appVersion string, files map[string]string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "chartserver-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, name)
	if _, ok := files[chartutil.ChartfileName]; !ok {
		md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version, AppVersion: appVersion, Type: "application"}
		if err := os.MkdirAll(src, 0o755); err != nil {
			return nil, err
		}
		if err := chartutil.SaveChartfile(filepath.Join(src, chartutil.ChartfileName), md); err != nil {
			return nil, fmt.Errorf("write Chart.yaml of %s: %w", name, err)
		}
	}
	for p, content := range files {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	pkg := action.NewPackage()
	pkg.Destination = filepath.Join(dir, "out")
	out, err := pkg.Run(src, nil)
	if err != nil {
		return nil, fmt.Errorf("package chart %s-%s: %w", name, version, err)
	}
	return os.ReadFile(out)
}

// PackageDir archives the chart folder dir byte-exactly: every regular file
// below dir (symlinks by their target's content), sorted by path, under a
// top-level folder named after the chart in dir's Chart.yaml, with no
// directory entries and nothing added. Unlike `helm package` it keeps
// Chart.yaml and ignored files as they are, so pulling the archive restores
// identical files. The archive is deterministic: the same folder gives the
// same bytes.
func PackageDir(dir string) ([]byte, error) {
	md, err := chartutil.LoadChartfile(filepath.Join(dir, chartutil.ChartfileName))
	if err != nil {
		return nil, fmt.Errorf("read chart folder %s: %w", dir, err)
	}
	type entry struct {
		name string
		full string
		mode fs.FileMode
	}
	var entries []entry
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := os.Stat(p) // follows symlinks
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		entries = append(entries, entry{name: path.Join(md.Name, filepath.ToSlash(rel)), full: p, mode: fi.Mode().Perm()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk chart folder %s: %w", dir, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		b, err := os.ReadFile(e.full)
		if err != nil {
			return nil, err
		}
		h := &tar.Header{Name: e.name, Mode: int64(e.mode), Size: int64(len(b)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chartMetadata reads Chart.yaml from a chart archive.
func chartMetadata(tgz []byte) (*chart.Metadata, error) {
	ch, err := loader.LoadArchive(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("load chart archive: %w", err)
	}
	return ch.Metadata, nil
}
