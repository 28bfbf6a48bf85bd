package chartpull

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// ProjectResult tells what PullProject did.
type ProjectResult struct {
	// Pulled and UpToDate are chart folders (relative to the project),
	// Removed the folders of versions no helm-chart.yaml names any more.
	Pulled, UpToDate, Removed []string
}

// FindCharts returns the helm-chart.yaml files of the project in dir (its
// included folders too), as the original finds them: every
// helm-chart.yml/yaml below dir, outside .helm-charts and .git.
func FindCharts(dir string) ([]*helm.Config, error) {
	var out []*helm.Config
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == helm.ChartsDirName || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() || (d.Name() != "helm-chart.yml" && d.Name() != "helm-chart.yaml") {
			return nil
		}
		cfg, err := helm.LoadConfig(p)
		if err != nil {
			return err
		}
		out = append(out, cfg)
		return nil
	})
	return out, err
}

// PullProject pulls every chart of the project in dir into
// dir/.helm-charts (those of its git includes too), except local charts
// and those with skipPrePull, and
// removes the pulled versions of those charts that no helm-chart.yaml
// names any more. Versions already pulled are kept (repository and OCI
// versions do not change); git charts are pulled again. Each chart is
// replaced only by a complete, verified download.
func (p *Puller) PullProject(ctx context.Context, dir string, progress func(string)) (*ProjectResult, error) {
	charts, err := FindCharts(dir)
	if err != nil {
		return nil, err
	}
	// The charts of git includes are pulled here too; render finds them
	// in this project's .helm-charts.
	included, err := p.includedCharts(ctx, dir, map[string]bool{}, progress)
	if err != nil {
		return nil, err
	}
	charts = append(charts, included...)
	chartsDir := filepath.Join(dir, helm.ChartsDirName)
	res := &ProjectResult{}
	rel := func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	// Group the wanted versions by the folder holding a chart's versions.
	wanted := map[string]map[string]bool{}
	todo := map[string]*helm.Config{}
	var order []string
	for _, cfg := range charts {
		if cfg.Source() == helm.SourceLocal || cfg.SkipPrePull {
			continue
		}
		vdir, err := cfg.PulledChartDir(chartsDir)
		if err != nil {
			return nil, err
		}
		parent := versionsDir(cfg, chartsDir, vdir)
		if wanted[parent] == nil {
			wanted[parent] = map[string]bool{}
		}
		wanted[parent][vdir] = true
		if _, ok := todo[vdir]; !ok {
			todo[vdir] = cfg
			order = append(order, vdir)
		}
	}
	sort.Strings(order)
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, vdir := range order {
		cfg := todo[vdir]
		if upToDate(cfg, vdir) {
			res.UpToDate = append(res.UpToDate, rel(vdir))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if progress != nil {
				progress(fmt.Sprintf("Pulling chart %s %s", cfg.Name(), cfg.Version()))
			}
			err := p.PullTo(ctx, cfg, vdir)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			res.Pulled = append(res.Pulled, rel(vdir))
		}()
	}
	wg.Wait()
	sort.Strings(res.Pulled)
	if len(errs) != 0 {
		// Nothing is removed after a failure: the versions pulled before
		// stay usable.
		return res, errors.Join(errs...)
	}
	for parent, keep := range wanted {
		entries, err := os.ReadDir(parent)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
		for _, e := range entries {
			full := filepath.Join(parent, e.Name())
			if !e.IsDir() || keep[full] || e.Name()[0] == '.' {
				continue
			}
			if progress != nil {
				progress("Removing unused chart version " + rel(full))
			}
			if err := os.RemoveAll(full); err != nil {
				return res, err
			}
			res.Removed = append(res.Removed, rel(full))
		}
	}
	return res, nil
}

// versionsDir is the folder whose subfolders are the pulled versions of
// cfg's chart: the parent of vdir for repository and OCI charts, and for
// git charts the refs/tags folder (only tag versions are cleaned up, as
// in the original).
func versionsDir(cfg *helm.Config, chartsDir, vdir string) string {
	if cfg.Source() != helm.SourceGit {
		return filepath.Dir(vdir)
	}
	base, err := (&helm.Config{Git: &helm.GitSource{URL: cfg.Git.URL, SubDir: cfg.Git.SubDir, Ref: &helm.GitRef{Tag: "x"}}}).PulledChartDir(chartsDir)
	if err != nil {
		return filepath.Dir(vdir)
	}
	return filepath.Dir(base)
}
