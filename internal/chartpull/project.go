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
	rel := relTo(dir)
	pl, err := newPlan(charts, chartsDir)
	if err != nil {
		return nil, err
	}
	todo, order := pl.todo, pl.order
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
	unused, err := pl.unused()
	if err != nil {
		return res, err
	}
	for _, full := range unused {
		if progress != nil {
			progress("Removing unused chart version " + rel(full))
		}
		if err := os.RemoveAll(full); err != nil {
			return res, err
		}
		res.Removed = append(res.Removed, rel(full))
	}
	return res, nil
}

// plan is what a project's charts want in its .helm-charts: the version
// folders (todo, in order) and, per folder of a chart's versions, the
// versions to keep.
type plan struct {
	wanted map[string]map[string]bool
	todo   map[string]*helm.Config
	order  []string
}

// newPlan plans the pulled versions of charts in chartsDir, leaving out
// local charts and those with skipPrePull.
func newPlan(charts []*helm.Config, chartsDir string) (*plan, error) {
	pl := &plan{wanted: map[string]map[string]bool{}, todo: map[string]*helm.Config{}}
	for _, cfg := range charts {
		if cfg.Source() == helm.SourceLocal || cfg.SkipPrePull {
			continue
		}
		vdir, err := cfg.PulledChartDir(chartsDir)
		if err != nil {
			return nil, err
		}
		parent := versionsDir(cfg, chartsDir, vdir)
		if pl.wanted[parent] == nil {
			pl.wanted[parent] = map[string]bool{}
		}
		pl.wanted[parent][vdir] = true
		if _, ok := pl.todo[vdir]; !ok {
			pl.todo[vdir] = cfg
			pl.order = append(pl.order, vdir)
		}
	}
	sort.Strings(pl.order)
	return pl, nil
}

// unused lists the pulled version folders that no chart wants.
func (pl *plan) unused() ([]string, error) {
	var out []string
	for parent, keep := range pl.wanted {
		entries, err := os.ReadDir(parent)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			full := filepath.Join(parent, e.Name())
			if e.IsDir() && !keep[full] && e.Name()[0] != '.' {
				out = append(out, full)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// relTo returns a function making paths relative to dir, with slashes.
func relTo(dir string) func(string) string {
	return func(p string) string {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
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
