package gitsource

import (
	"context"
	"sync"

	"github.com/go-git/go-git/v5"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
)

// Repository fetches url (unless fetched within MinFetchInterval) and
// returns its bare mirror opened with go-git, for reading branches, tags
// and objects without an export. The mirror is not evicted until release
// is called. A fetch of the same repository by another caller may move
// its refs meanwhile; the commits read stay readable.
func (c *Cache) Repository(ctx context.Context, url string, auth *Auth) (*git.Repository, func(), error) {
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, nil, &Error{URL: url, Op: "parse", Err: err}
	}
	m := c.mirror(gitinfo.RepoKey(u))
	m.mu.Lock()
	unlock, err := c.lockMirror(ctx, m)
	if err == nil {
		var repo *git.Repository
		repo, err = c.fetch(ctx, m, url, auth)
		unlock()
		if err == nil {
			m.mu.Unlock()
			return repo, sync.OnceFunc(func() { c.releaseMirror(m) }), nil
		}
	}
	m.mu.Unlock()
	c.releaseMirror(m)
	return nil, nil, &Error{URL: gitinfo.Redacted(u), Op: "fetch", Err: err}
}
