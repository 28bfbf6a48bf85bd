package chartpull

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kluctl-go/kluctl/internal/filelock"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// Cached returns the folder of cfg's chart in the shared cache below
// cacheDir (in the .helm-charts layout), pulling it first when it is not
// there. Repository and OCI versions never change once pulled; git charts
// on a branch or the default branch are pulled again each time. A lock
// file serialises pulls of one chart version across processes. A version
// found in cacheDir is served without asking its server, so callers keep
// one cacheDir per set of credentials (the controller's are keyed by them).
func (p *Puller) Cached(ctx context.Context, cfg *helm.Config, cacheDir string) (string, error) {
	dir, err := cfg.PulledChartDir(cacheDir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	// The lock's time is the version's last use, for PruneCache.
	unlock, err := filelock.Lock(ctx, dir+".lock", true)
	if err != nil {
		return "", &Error{ChartFile: cfg.File, Chart: cfg.Name(), Version: cfg.Version(), Err: err}
	}
	defer unlock()
	if upToDate(cfg, dir) {
		return dir, nil
	}
	if err := p.PullTo(ctx, cfg, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// upToDate tells whether dir holds cfg's chart and need not be pulled
// again: always false for git charts that follow a branch.
func upToDate(cfg *helm.Config, dir string) bool {
	if verify(cfg, dir) != nil {
		return false
	}
	if cfg.Source() == helm.SourceGit {
		r := cfg.Git.Ref
		return r != nil && (r.Tag != "" || r.Commit != "")
	}
	return true
}

// PruneCache removes the chart versions below cacheDir that were not used
// for maxAge (and that no process is pulling), so that a long-running
// process keeps the cache bounded.
func PruneCache(cacheDir string, maxAge time.Duration) {
	var locks []string
	_ = filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".lock" {
			locks = append(locks, p)
		}
		return nil
	})
	filelock.Prune(locks, 0, maxAge, func(lock string) { _ = os.RemoveAll(strings.TrimSuffix(lock, ".lock")) })
}
