package chartpull

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// Cached returns the folder of cfg's chart in the shared cache below
// cacheDir (in the .helm-charts layout), pulling it first when it is not
// there. Repository and OCI versions never change once pulled; git charts
// on a branch or the default branch are pulled again each time. A lock
// file serialises pulls of one chart version across processes.
func (p *Puller) Cached(ctx context.Context, cfg *helm.Config, cacheDir string) (string, error) {
	dir, err := cfg.PulledChartDir(cacheDir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(ctx, dir+".lock")
	if err != nil {
		return "", &Error{ChartFile: cfg.File, Chart: cfg.Name(), Version: cfg.Version(), Err: err}
	}
	defer unlock()
	// The lock's time is the version's last use, for PruneCache.
	now := time.Now()
	_ = os.Chtimes(dir+".lock", now, now)
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

// lockFile takes an exclusive lock on path, waiting until ctx is done.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// PruneCache removes the chart versions below cacheDir that were not used
// for maxAge (and that no process is pulling), so that a long-running
// process keeps the cache bounded.
func PruneCache(cacheDir string, maxAge time.Duration) {
	_ = filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".lock" {
			return nil
		}
		st, err := os.Stat(p)
		if err != nil || time.Since(st.ModTime()) < maxAge {
			return nil
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return nil
		}
		defer f.Close()
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.RemoveAll(p[:len(p)-len(".lock")])
			_ = os.Remove(p)
		}
		return nil
	})
}
