package chartpull

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/filelock"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// Cached returns the folder of cfg's chart in the shared cache below
// cacheDir (in the .helm-charts layout), pulling it first when it is not
// there. Repository and OCI versions never change once pulled; git charts
// on a branch or the default branch are pulled again each time, and served
// from a copy per commit (see snapshot). A lock
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
	if followsBranch(cfg) {
		return snapshot(ctx, cfg, dir)
	}
	return dir, nil
}

func followsBranch(cfg *helm.Config) bool {
	if cfg.Source() != helm.SourceGit {
		return false
	}
	r := cfg.Git.Ref
	return r == nil || (r.Tag == "" && r.Commit == "")
}

// snapshot returns a copy of the chart pulled into dir for its commit,
// made once and never changed: a chart that follows a branch is pulled
// again each time, and the next pull must not change the files a render
// of the previous one is reading. Without a recorded commit, dir itself.
func snapshot(ctx context.Context, cfg *helm.Config, dir string) (string, error) {
	commit := pulledCommit(dir)
	if commit == "" {
		return dir, nil
	}
	snap := dir + "@" + commit
	unlock, err := filelock.Lock(ctx, snap+".lock", true)
	if err != nil {
		return "", &Error{ChartFile: cfg.File, Chart: cfg.Name(), Version: cfg.Version(), Err: err}
	}
	defer unlock()
	if verify(cfg, snap) == nil {
		return snap, nil
	}
	_ = os.RemoveAll(snap)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".pull-"+filepath.Base(snap)+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "chart")
	if err := copyTree(dir, staged, dir); err != nil {
		return "", err
	}
	if err := os.Rename(staged, snap); err != nil {
		return "", err
	}
	return snap, nil
}

// pulledCommit is the commit a git chart in dir was pulled from, "" when
// unknown.
func pulledCommit(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, gitInfoFile))
	if err != nil {
		return ""
	}
	var info struct {
		Commit string `json:"commit"`
	}
	if yaml.Unmarshal(b, &info) != nil || !hexCommit(info.Commit) {
		return ""
	}
	return info.Commit
}

func hexCommit(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// upToDate tells whether dir holds cfg's chart and need not be pulled
// again: always false for git charts that follow a branch.
func upToDate(cfg *helm.Config, dir string) bool {
	return verify(cfg, dir) == nil && !followsBranch(cfg)
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
