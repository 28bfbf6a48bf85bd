// Package chartpull pulls Helm charts from http(s) chart repositories, OCI
// registries and git into folders in Kluctl's .helm-charts layout: into a
// project (`kluctl helm-pull`) or into a cache shared by every run (charts
// that were not pre-pulled). A chart folder is only ever replaced by a
// complete, verified download: a failed or interrupted pull leaves what was
// there intact.
package chartpull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// GitFetchFunc checks out a git repository (for git charts); release is
// called when the files were copied.
type GitFetchFunc func(ctx context.Context, url string, ref *project.GitRef) (src *project.RemoteSource, release func(), err error)

// Options configure a Puller.
type Options struct {
	Helm     HelmCredentials
	Registry RegistryCredentials
	// DockerConfig is a docker config.json with registry logins, used
	// when no registry credential matches; "" for none.
	DockerConfig string
	// FetchGit checks out git charts; nil makes them an error.
	FetchGit GitFetchFunc
	// Timeout bounds each request; default 2 minutes.
	Timeout time.Duration
	// Secret is called with every credential value used, so callers can
	// mask them.
	Secret func(string)
}

// Puller pulls charts. It is safe for concurrent use.
type Puller struct {
	opts Options
}

// New returns a Puller; the credentials' globs must compile.
func New(opts Options) (*Puller, error) {
	if err := opts.Helm.Compile(); err != nil {
		return nil, err
	}
	if err := opts.Registry.Compile(); err != nil {
		return nil, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	for _, c := range opts.Helm {
		opts.secret(c.Password, string(c.KeyPEM))
	}
	for _, c := range opts.Registry {
		opts.secret(c.Password, c.Token, c.IdentityToken, string(c.KeyPEM))
	}
	return &Puller{opts: opts}, nil
}

func (o Options) secret(vals ...string) {
	if o.Secret == nil {
		return
	}
	for _, v := range vals {
		if v != "" {
			o.Secret(v)
		}
	}
}

// Error is a failed pull, naming the chart and the helm-chart.yaml.
type Error struct {
	ChartFile, Chart, Version string
	Err                       error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: pull helm chart %s %s: %v", e.ChartFile, e.Chart, e.Version, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// PullTo pulls the chart of cfg into dir (its folder in a .helm-charts
// layout). The chart is downloaded and unpacked next to dir, checked
// (Chart.yaml loads, name and version as wanted), and only then swapped
// in; an existing dir is replaced in one step and never lost on failure.
func (p *Puller) PullTo(ctx context.Context, cfg *helm.Config, dir string) error {
	if err := p.pullTo(ctx, cfg, dir); err != nil {
		return &Error{ChartFile: cfg.File, Chart: cfg.Name(), Version: cfg.Version(), Err: err}
	}
	return nil
}

func (p *Puller) pullTo(ctx context.Context, cfg *helm.Config, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	// Leftovers of pulls that were killed (never a folder in use: a
	// running pull is younger).
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".pull-"+filepath.Base(dir)+"-*"))
	for _, s := range stale {
		if st, err := os.Stat(s); err == nil && time.Since(st.ModTime()) > time.Hour {
			_ = os.RemoveAll(s)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".pull-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "chart")
	switch cfg.Source() {
	case helm.SourceRepo, helm.SourceOCI:
		var tgz []byte
		if cfg.Source() == helm.SourceRepo {
			tgz, err = p.fetchRepo(ctx, cfg)
		} else {
			tgz, err = p.fetchOCI(ctx, cfg)
		}
		if err != nil {
			return err
		}
		if err := expand(tgz, staged); err != nil {
			return err
		}
	case helm.SourceGit:
		if err := p.fetchGit(ctx, cfg, staged); err != nil {
			return err
		}
	default:
		return errors.New("local charts are not pulled")
	}
	if err := verify(cfg, staged); err != nil {
		return err
	}
	return swapIn(staged, dir, tmp)
}

// expand unpacks a chart archive into dir (the chart's files directly in
// it), with Helm's checks against path escapes.
func expand(tgz []byte, dir string) error {
	out := dir + ".x"
	if err := chartutil.Expand(out, bytes.NewReader(tgz)); err != nil {
		return fmt.Errorf("unpack the chart archive: %w", err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	if len(entries) != 1 || !entries[0].IsDir() {
		return errors.New("the chart archive does not hold exactly one chart folder")
	}
	return os.Rename(filepath.Join(out, entries[0].Name()), dir)
}

// verify checks that dir holds the chart cfg asks for.
func verify(cfg *helm.Config, dir string) error {
	meta, err := chartutil.LoadChartfile(filepath.Join(dir, chartutil.ChartfileName))
	if err != nil {
		return fmt.Errorf("the pulled chart has no valid Chart.yaml: %w", err)
	}
	if cfg.Source() == helm.SourceGit {
		return nil
	}
	if meta.Version != cfg.ChartVersion {
		return fmt.Errorf("the pulled chart has version %s, not %s", meta.Version, cfg.ChartVersion)
	}
	if cfg.Source() == helm.SourceRepo && meta.Name != cfg.ChartName {
		return fmt.Errorf("the pulled chart is named %s, not %s", meta.Name, cfg.ChartName)
	}
	return nil
}
