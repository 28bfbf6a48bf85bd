package ocisource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The cache folder holds artifacts/<hex>/ (the unpacked files),
// artifacts/<hex>.manifest (the raw manifest) and artifacts/<hex>.lock:
// a shared lock on it marks the folder in use, an exclusive one is taken
// to fill or remove it, and its time is the artifact's last use.
// Unpacking happens in tmp/ and is renamed into place when complete.

// open returns the folder and manifest of the artifact digest, filling
// it with fill when missing, and the release of its shared lock.
func (c *Cache) open(ctx context.Context, digest v1.Hash, fill func(dir string) ([]byte, error)) (string, []byte, func(), error) {
	if digest.Algorithm != "sha256" {
		return "", nil, nil, fmt.Errorf("unsupported digest algorithm %s", digest.Algorithm)
	}
	base := filepath.Join(c.opts.Dir, "artifacts", digest.Hex)
	lockPath := base + ".lock"
	// Normally two rounds: look, fill, look again. More only when a
	// pruner removes the folder between filling and using it.
	for range 3 {
		f, err := lockFile(ctx, lockPath, syscall.LOCK_SH)
		if err != nil {
			return "", nil, nil, err
		}
		if manifest, err := os.ReadFile(base + ".manifest"); err == nil {
			if st, err := os.Stat(base); err == nil && st.IsDir() {
				now := time.Now()
				_ = os.Chtimes(lockPath, now, now)
				return base, manifest, func() { unlock(f) }, nil
			}
		}
		unlock(f)
		if f, err = lockFile(ctx, lockPath, syscall.LOCK_EX); err != nil {
			return "", nil, nil, err
		}
		err = c.fill(base, fill)
		now := time.Now()
		_ = os.Chtimes(lockPath, now, now)
		unlock(f)
		if err != nil {
			return "", nil, nil, err
		}
	}
	return "", nil, nil, errors.New("the artifact was removed from the cache while it was unpacked")
}

// fill unpacks the artifact into a temporary folder and moves it to base,
// unless another process did already. Called with the exclusive lock.
func (c *Cache) fill(base string, fill func(dir string) ([]byte, error)) error {
	if _, err := os.Stat(base + ".manifest"); err == nil {
		if st, err := os.Stat(base); err == nil && st.IsDir() {
			return nil
		}
	}
	// Leftovers of a process that died while unpacking.
	_ = os.RemoveAll(base)
	tmp, err := os.MkdirTemp(filepath.Join(c.opts.Dir, "tmp"), filepath.Base(base)+"-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	manifest, err := fill(filepath.Join(tmp, "files"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest"), manifest, 0o600); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "manifest"), base+".manifest"); err != nil {
		return err
	}
	return os.Rename(filepath.Join(tmp, "files"), base)
}

// lockFile opens path (creating it) and locks it with how, waiting until
// ctx is done. A lock on a file a pruner removed meanwhile is retried on
// the new file.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
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
			return f, nil
		}
		_ = f.Close()
	}
}

func unlock(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	_ = f.Close()
}

// prune bounds the cache folder dir: it removes the least recently used
// artifacts beyond maxArtifacts that nobody used for an hour and nobody
// uses now, and unpack folders of processes that died a day ago.
func prune(dir string, maxArtifacts int) {
	locks, _ := filepath.Glob(filepath.Join(dir, "artifacts", "*.lock"))
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
	for i := maxArtifacts; i < len(es); i++ {
		if time.Since(es[i].used) < time.Hour {
			continue
		}
		f, err := os.OpenFile(es[i].lock, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			base := strings.TrimSuffix(es[i].lock, ".lock")
			// The manifest first: without it the folder counts as
			// missing.
			_ = os.Remove(base + ".manifest")
			_ = os.RemoveAll(base)
			_ = os.Remove(es[i].lock)
		}
		_ = f.Close()
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	for _, t := range tmps {
		if st, err := os.Stat(t); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(t)
		}
	}
}
