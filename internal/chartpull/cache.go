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
