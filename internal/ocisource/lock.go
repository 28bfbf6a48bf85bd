package ocisource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kluctl-go/kluctl/internal/filelock"
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
		unlock, err := filelock.Lock(ctx, lockPath, false)
		if err != nil {
			return "", nil, nil, err
		}
		if manifest, err := os.ReadFile(base + ".manifest"); err == nil {
			if st, err := os.Stat(base); err == nil && st.IsDir() {
				return base, manifest, unlock, nil
			}
		}
		unlock()
		if unlock, err = filelock.Lock(ctx, lockPath, true); err != nil {
			return "", nil, nil, err
		}
		err = c.fill(base, fill)
		unlock()
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

// prune bounds the cache folder dir: it removes the least recently used
// artifacts beyond maxArtifacts that nobody used for an hour and nobody
// uses now, and unpack folders of processes that died a day ago.
func prune(dir string, maxArtifacts int) {
	locks, _ := filepath.Glob(filepath.Join(dir, "artifacts", "*.lock"))
	filelock.Prune(locks, maxArtifacts, time.Hour, func(lock string) {
		base := strings.TrimSuffix(lock, ".lock")
		// The manifest first: without it the folder counts as missing.
		_ = os.Remove(base + ".manifest")
		_ = os.RemoveAll(base)
	})
	tmps, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	for _, t := range tmps {
		if st, err := os.Stat(t); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(t)
		}
	}
}
