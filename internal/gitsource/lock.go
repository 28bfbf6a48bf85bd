package gitsource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// lockMirror takes the cross-process lock of m's mirror in a shared cache
// (a no-op otherwise), waiting until ctx is done. Called with m.mu held, so
// only other processes contend for it.
func (c *Cache) lockMirror(ctx context.Context, m *mirror) (func(), error) {
	if !c.opts.Shared {
		return func() {}, nil
	}
	f, err := os.OpenFile(m.dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The lock file's time is the mirror's last use, for pruneShared.
	now := time.Now()
	_ = os.Chtimes(f.Name(), now, now)
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// pruneShared bounds a shared cache folder: it removes the least recently
// used mirrors beyond maxRepos that no process has used for an hour (and
// can be locked), and export folders of processes that ended more than a
// day ago without cleaning up.
func pruneShared(dir string, maxRepos int) {
	locks, _ := filepath.Glob(filepath.Join(dir, "mirrors", "*.lock"))
	type entry struct {
		lock string
		used time.Time
	}
	var es []entry
	for _, l := range locks {
		if st, err := os.Stat(l); err == nil {
			es = append(es, entry{l, st.ModTime()})
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].used.After(es[j].used) })
	for i := maxRepos; i < len(es); i++ {
		if time.Since(es[i].used) < time.Hour {
			continue
		}
		f, err := os.OpenFile(es[i].lock, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			base := strings.TrimSuffix(es[i].lock, ".lock")
			_ = os.RemoveAll(base)
			_ = os.Remove(base + ".fetched")
			_ = os.Remove(es[i].lock)
		}
		_ = f.Close()
	}
	exports, _ := filepath.Glob(filepath.Join(dir, "exports-*"))
	for _, e := range exports {
		if st, err := os.Stat(e); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(e)
		}
	}
}
