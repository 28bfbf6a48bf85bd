package gitsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// export is a commit written out as files, shared by its users.
type export struct {
	dir      string
	refs     int
	lastUsed time.Time
	ready    chan struct{}
	err      error
}

// export returns a folder with the files of commit h, shared with other
// users of the same commit.
func (c *Cache) export(ctx context.Context, repo *git.Repository, h plumbing.Hash, m *mirror) (string, func(), error) {
	for {
		dir, release, err := c.exportOnce(ctx, repo, h, m)
		// An export its writer gave up on (its context ended) is not
		// this caller's failure: it writes the export itself.
		var gaveUp *abandonedError
		if errors.As(err, &gaveUp) && ctx.Err() == nil {
			continue
		}
		return dir, release, err
	}
}

// abandonedError is the failure of an export whose writer gave up.
type abandonedError struct{ err error }

func (e *abandonedError) Error() string { return "export abandoned: " + e.err.Error() }
func (e *abandonedError) Unwrap() error { return e.err }

// exportOnce writes the export of h or waits for the caller writing it.
func (c *Cache) exportOnce(ctx context.Context, repo *git.Repository, h plumbing.Hash, m *mirror) (string, func(), error) {
	key := h.String()
	c.mu.Lock()
	e := c.exports[key]
	if e == nil {
		e = &export{dir: filepath.Join(c.exportDir, key), ready: make(chan struct{})}
		c.exports[key] = e
		e.refs++
		c.mu.Unlock()
		e.err = c.writeExport(ctx, repo, h, m, e.dir)
		close(e.ready)
	} else {
		e.refs++
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.releaseExport(key, e)
			return "", nil, ctx.Err()
		}
	}
	release := func() { c.releaseExport(key, e) }
	if e.err != nil {
		c.mu.Lock()
		if c.exports[key] == e {
			delete(c.exports, key)
		}
		c.mu.Unlock()
		release()
		_ = os.RemoveAll(e.dir)
		return "", nil, e.err
	}
	return e.dir, release, nil
}

// writeExport writes the files of h to dir, reading the mirror under its
// lock.
func (c *Cache) writeExport(ctx context.Context, repo *git.Repository, h plumbing.Hash, m *mirror, dir string) error {
	if err := m.acquire(ctx); err != nil {
		return &abandonedError{err}
	}
	defer m.release()
	if err := os.MkdirAll(c.exportDir, 0o700); err != nil {
		return err
	}
	return writeTree(repo, h, dir)
}

// releaseExport gives one use of e back.
func (c *Cache) releaseExport(key string, e *export) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	e.lastUsed = time.Now()
	if c.opts.Shared && e.refs == 0 && c.exports[key] == e {
		delete(c.exports, key)
		_ = os.RemoveAll(e.dir)
		if len(c.exports) == 0 {
			_ = os.Remove(c.exportDir)
		}
		return
	}
	c.evictExports()
}

// evictExports removes unused exports beyond MaxExports, oldest first.
// Called with c.mu held.
func (c *Cache) evictExports() {
	if len(c.exports) <= c.opts.MaxExports {
		return
	}
	var idle []string
	for k, e := range c.exports {
		if e.refs == 0 {
			idle = append(idle, k)
		}
	}
	sort.Slice(idle, func(i, j int) bool { return c.exports[idle[i]].lastUsed.Before(c.exports[idle[j]].lastUsed) })
	for _, k := range idle {
		if len(c.exports) <= c.opts.MaxExports {
			return
		}
		_ = os.RemoveAll(c.exports[k].dir)
		delete(c.exports, k)
	}
}

// writeTree writes the files of commit h below dir.
func writeTree(repo *git.Repository, h plumbing.Hash, dir string) error {
	commit, err := repo.CommitObject(h)
	if err != nil {
		return err
	}
	tree, err := commit.Tree()
	if err != nil {
		return err
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	err = tree.Files().ForEach(func(f *object.File) error {
		p := filepath.Join(tmp, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
			return fmt.Errorf("unsafe path %q in commit", f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if f.Mode == filemode.Symlink {
			target, err := f.Contents()
			if err != nil {
				return err
			}
			return os.Symlink(target, p)
		}
		if f.Mode.IsFile() {
			r, err := f.Reader()
			if err != nil {
				return err
			}
			defer r.Close()
			mode := os.FileMode(0o644)
			if f.Mode == filemode.Executable {
				mode = 0o755
			}
			w, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, r)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			return err
		}
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}
