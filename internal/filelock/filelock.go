// Package filelock locks files across processes (flock(2)), for the caches
// that kluctl processes share: git mirrors, OCI artifacts, Helm charts. A
// lock file's modification time records its entry's last use, for
// pruning.
package filelock

import (
	"context"
	"errors"
	"os"
	"sort"
	"syscall"
	"time"
)

// Lock locks path (created when missing), shared or exclusive, waiting
// until ctx is done, and touches it. A file that a pruner removed while
// this waited is locked again, on the new file. Call the returned unlock
// when done.
func Lock(ctx context.Context, path string, exclusive bool) (func(), error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, err
		}
		for {
			err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
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
			case <-time.After(20 * time.Millisecond):
			}
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			t := time.Now()
			_ = os.Chtimes(path, t, t)
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		_ = f.Close()
	}
}

// Prune removes cache entries by their lock files: all but the keep most
// recently used whose lock was not touched for minAge and that nobody
// holds. remove is called with the lock held exclusively and removes the
// entry; the lock file is removed after it.
func Prune(locks []string, keep int, minAge time.Duration, remove func(lock string)) {
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
	for i := max(keep, 0); i < len(es); i++ {
		if time.Since(es[i].used) < minAge {
			continue
		}
		f, err := os.OpenFile(es[i].lock, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			remove(es[i].lock)
			_ = os.Remove(es[i].lock)
		}
		_ = f.Close()
	}
}
