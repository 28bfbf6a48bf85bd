// Package helmupdate implements `kluctl helm-update`: it checks the Helm
// charts of a project for new versions and, with --upgrade, writes them
// into the helm-chart.yaml files and pulls them, with --commit one git
// commit per chart.
package helmupdate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/chartpull"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/helmpull"
	"github.com/kluctl-go/kluctl/internal/cli/projectargs"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// Options of the helm-update command.
type Options struct {
	F       *factory.Factory
	Project projectargs.Flags
	// Upgrade writes the new versions and pulls them.
	Upgrade bool
	// Commit makes a git commit for every upgraded chart.
	Commit bool
	// Interactive asks before upgrading each chart.
	Interactive bool
}

// NewCmd returns the helm-update command.
func NewCmd(f *factory.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "helm-update",
		Short: "Recursively searches for 'helm-chart.yaml' files and checks for new available versions",
		Long: `Recursively searches for 'helm-chart.yaml' files and checks for new available versions
Optionally performs the actual upgrade and/or add a commit to version control.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.Project.AddProjectDirFlags(cmd, f)
	opts.Project.Compat.AddCredentialFlags(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&opts.Upgrade, "upgrade", false, "Write new versions into helm-chart.yaml and perform helm-pull afterwards")
	fl.BoolVar(&opts.Commit, "commit", false, "Create a git commit for every updated chart")
	fl.BoolVarP(&opts.Interactive, "interactive", "i", false, "Ask for every Helm Chart if it should be upgraded.")
	return cmd
}

// upgrade is one chart moving from one version to another, in every
// helm-chart.yaml that asks for it.
type upgrade struct {
	chart    string
	from, to string
	// versionsDir holds the chart's pulled versions.
	versionsDir string
	files       []string
}

func run(ctx context.Context, opts *Options) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Project.Timeout)
	defer cancel()
	dir, err := helmpull.ProjectDir(opts.F, &opts.Project, "helm-update")
	if err != nil {
		return err
	}
	var wt *worktree
	if opts.Commit {
		if wt, err = openWorktree(dir); err != nil {
			return err
		}
		if err := wt.checkClean(); err != nil {
			return err
		}
		stale, err := chartpull.OutOfDate(dir)
		if err != nil {
			return err
		}
		if len(stale) != 0 {
			return fmt.Errorf(".helm-charts is not up-to-date (%s). Please run helm-pull before", stale[0])
		}
	}
	charts, err := chartpull.FindCharts(dir)
	if err != nil {
		return err
	}
	sort.Slice(charts, func(i, j int) bool { return charts[i].File < charts[j].File })
	p, err := opts.Project.Puller(opts.F)
	if err != nil {
		return err
	}
	versions, err := queryVersions(ctx, opts.F, p, charts)
	if err != nil {
		return err
	}
	plan, err := decide(opts, dir, charts, versions)
	if err != nil || !opts.Upgrade {
		return err
	}
	for _, u := range plan {
		if err := apply(ctx, opts, p, dir, wt, u); err != nil {
			return err
		}
	}
	return nil
}

// chartKey identifies a chart in a repository, so that its versions are
// queried once.
func chartKey(cfg *helm.Config) string {
	return fmt.Sprintf("%d %s %s", cfg.Source(), cfg.Repo, cfg.Name())
}

type queried struct {
	versions []string
	err      error
}

// queryVersions lists the versions of every chart that can be updated:
// repository and OCI charts (local charts have none; for git charts see
// decide). Failures of charts with skipUpdate are ignored; the others are
// returned together, before anything is changed.
func queryVersions(ctx context.Context, f *factory.Factory, p *chartpull.Puller, charts []*helm.Config) (map[string]queried, error) {
	out := map[string]queried{}
	started := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, cfg := range charts {
		key := chartKey(cfg)
		if s := cfg.Source(); (s != helm.SourceRepo && s != helm.SourceOCI) || started[key] {
			continue
		}
		started[key] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			mu.Lock() // Progress writes to the stream unlocked
			f.Progress("%s: Querying versions", cfg.Name())
			mu.Unlock()
			vs, err := p.Versions(ctx, cfg)
			mu.Lock()
			out[key] = queried{versions: vs, err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	var errs []error
	seen := map[string]bool{}
	for _, cfg := range charts {
		q, ok := out[chartKey(cfg)]
		if !ok || q.err == nil || cfg.SkipUpdate || seen[chartKey(cfg)] {
			continue
		}
		seen[chartKey(cfg)] = true
		errs = append(errs, q.err)
	}
	return out, errors.Join(errs...)
}

// decide prints the available updates and, with --upgrade, returns the
// upgrades to make (asking first with --interactive), grouped by chart
// and versions, in the order of the helm-chart.yaml files. Nothing is
// asked when a chart can not be checked.
func decide(opts *Options, dir string, charts []*helm.Config, versions map[string]queried) ([]*upgrade, error) {
	out := opts.F.IO.Out
	type candidate struct {
		cfg        *helm.Config
		relDir, to string
	}
	var todo []candidate
	var errs []error
	for _, cfg := range charts {
		relDir := relPath(dir, filepath.Dir(cfg.File))
		if cfg.Source() == helm.SourceGit {
			if r := cfg.Git.Ref; r != nil && r.Tag != "" && !cfg.SkipUpdate {
				fmt.Fprintf(opts.F.IO.ErrOut, "Warning: %s: Chart %s is not checked for new versions: %v\n", relDir, cfg.Name(), chartpull.ErrGitVersions)
			}
			continue
		}
		q, ok := versions[chartKey(cfg)]
		if !ok || q.err != nil {
			continue
		}
		newVersion, err := chartpull.UpdateVersion(cfg.ChartVersion, q.versions, cfg.UpdateConstraints)
		switch {
		case err != nil && !cfg.SkipUpdate:
			errs = append(errs, fmt.Errorf("%s: helm chart %s: %w", cfg.File, cfg.Name(), err))
		case err != nil || newVersion == "":
		case cfg.SkipUpdate:
			fmt.Fprintf(out, "%s: Skipped update to version %s\n", relDir, newVersion)
		default:
			fmt.Fprintf(out, "%s: Chart %s (old version %s) has new version %s available\n", relDir, cfg.Name(), cfg.ChartVersion, newVersion)
			todo = append(todo, candidate{cfg, relDir, newVersion})
		}
	}
	if len(errs) != 0 || !opts.Upgrade {
		return nil, errors.Join(errs...)
	}
	chartsDir := filepath.Join(dir, helm.ChartsDirName)
	var plan []*upgrade
	byKey := map[string]*upgrade{}
	for _, c := range todo {
		if opts.Interactive {
			ok, err := opts.F.Confirm(fmt.Sprintf("%s: Do you want to upgrade Chart %s to version %s?", c.relDir, c.cfg.Name(), c.to))
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		vdir, err := c.cfg.PulledChartDir(chartsDir)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("%s\x00%s\x00%s", filepath.Dir(vdir), c.cfg.ChartVersion, c.to)
		u := byKey[key]
		if u == nil {
			u = &upgrade{chart: c.cfg.Name(), from: c.cfg.ChartVersion, to: c.to, versionsDir: filepath.Dir(vdir)}
			byKey[key] = u
			plan = append(plan, u)
		}
		u.files = append(u.files, c.cfg.File)
	}
	return plan, nil
}

// apply writes the new version into the helm-chart.yaml files of u, pulls
// it into .helm-charts (which removes the old version only once the new
// one is in place) and, with --commit, commits these changes. When the
// pull fails the helm-chart.yaml files are restored.
func apply(ctx context.Context, opts *Options, p *chartpull.Puller, dir string, wt *worktree, u *upgrade) error {
	out := opts.F.IO.Out
	old := map[string][]byte{}
	restore := func() {
		for file, data := range old {
			_ = os.WriteFile(file, data, 0o644)
		}
	}
	for _, file := range u.files {
		data, err := os.ReadFile(file)
		if err != nil {
			restore()
			return err
		}
		updated, err := chartpull.SetChartVersion(file, data, u.to)
		if err == nil {
			_, err = helm.ParseConfig(file, updated)
		}
		if err == nil {
			err = writeKeepingMode(file, updated)
		}
		if err != nil {
			restore()
			return err
		}
		old[file] = data
		fmt.Fprintf(out, "%s: Updated Chart version to %s\n", relPath(dir, filepath.Dir(file)), u.to)
	}
	opts.F.Progress("Upgrading Chart %s from version %s to %s", u.chart, u.from, u.to)
	var mu sync.Mutex // PullProject reports from several goroutines
	progress := func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		opts.F.Progress("%s", msg)
	}
	if _, err := p.PullProject(ctx, dir, progress); err != nil {
		restore()
		return fmt.Errorf("upgrade helm chart %s from version %s to %s: %w", u.chart, u.from, u.to, err)
	}
	if wt == nil {
		return nil
	}
	msg := fmt.Sprintf("Updated helm chart %s from version %s to version %s", u.chart, u.from, u.to)
	if err := wt.commit(msg, u.files, u.versionsDir); err != nil {
		return fmt.Errorf("commit the update of helm chart %s to %s: %w", u.chart, u.to, err)
	}
	fmt.Fprintf(out, "Committed helm chart %s with version %s\n", u.chart, u.to)
	return nil
}

// writeKeepingMode replaces the content of file, keeping its permissions.
func writeKeepingMode(file string, data []byte) error {
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, st.Mode().Perm())
}

// relPath is p relative to dir with slashes, p itself when it is not below.
func relPath(dir, p string) string {
	r, err := filepath.Rel(dir, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}
