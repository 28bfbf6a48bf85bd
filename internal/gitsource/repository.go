package gitsource

import (
	"context"
	"sync"

	"github.com/go-git/go-git/v5"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
)

// Repository fetches url (unless fetched with the same credentials within
// MinFetchInterval) and returns its bare mirror opened with go-git, for
// reading branches, tags and objects without an export. The mirror is not
// evicted until release is called. A fetch of the same repository by
// another caller may move its refs meanwhile; the commits read stay
// readable.
func (c *Cache) Repository(ctx context.Context, url string, auth *Auth) (*git.Repository, func(), error) {
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, nil, &Error{URL: url, Op: "parse", Err: err}
	}
	m := c.mirror(gitinfo.RepoKey(u))
	repo, err := c.fetchLocked(ctx, m, url, auth)
	if err != nil {
		c.releaseMirror(m)
		return nil, nil, &Error{URL: gitinfo.Redacted(u), Op: "fetch", Err: err}
	}
	return repo, sync.OnceFunc(func() { c.releaseMirror(m) }), nil
}

// fetchLocked fetches m under its locks, released again before it returns.
func (c *Cache) fetchLocked(ctx context.Context, m *mirror, url string, auth *Auth) (*git.Repository, error) {
	if err := m.acquire(ctx); err != nil {
		return nil, err
	}
	defer m.release()
	unlock, err := c.lockMirror(ctx, m)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.fetch(ctx, m, url, auth)
}
