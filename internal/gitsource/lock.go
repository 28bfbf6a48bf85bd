package gitsource

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kluctl-go/kluctl/internal/filelock"
)

// lockMirror takes the cross-process lock of m's mirror in a shared cache
// (a no-op otherwise), waiting until ctx is done. Called with m.lock held, so
// only other processes contend for it. The lock file's time is the
// mirror's last use, for pruneShared.
func (c *Cache) lockMirror(ctx context.Context, m *mirror) (func(), error) {
	if !c.opts.Shared {
		return func() {}, nil
	}
	return filelock.Lock(ctx, m.dir+".lock", true)
}

// pruneShared bounds a shared cache folder: it removes the least recently
// used mirrors beyond maxRepos that no process has used for an hour (and
// can be locked), and export folders of processes that ended more than a
// day ago without cleaning up.
func pruneShared(dir string, maxRepos int) {
	locks, _ := filepath.Glob(filepath.Join(dir, "mirrors", "*.lock"))
	filelock.Prune(locks, maxRepos, time.Hour, func(lock string) {
		base := strings.TrimSuffix(lock, ".lock")
		_ = os.RemoveAll(base)
		_ = os.Remove(base + ".fetched")
	})
	exports, _ := filepath.Glob(filepath.Join(dir, "exports-*"))
	for _, e := range exports {
		if st, err := os.Stat(e); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(e)
		}
	}
}
