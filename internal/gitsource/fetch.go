package gitsource

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// DefaultFetchTimeout bounds a fetch when Options.FetchTimeout is 0.
const DefaultFetchTimeout = 5 * time.Minute

// acquire takes the lock of m, giving up when ctx ends: a caller whose
// reconcile timed out must not stay queued behind a fetch that hangs.
func (m *mirror) acquire(ctx context.Context) error {
	// A lock that is free is taken even when ctx has ended meanwhile:
	// select would pick at random.
	select {
	case m.lock <- struct{}{}:
		return nil
	default:
	}
	select {
	case m.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for another fetch of the repository: %w", ctx.Err())
	}
}

// release gives the lock of m back.
func (m *mirror) release() { <-m.lock }

// fetchRecord is the outcome of the last fetch with one set of
// credentials.
type fetchRecord struct {
	at  time.Time
	err error
}

// recent returns the outcome of a fetch with the credentials fp within
// interval; called with m.lock held.
func (m *mirror) recent(fp string, interval time.Duration) (fetchRecord, bool) {
	rec, ok := m.fetches[fp]
	if !ok || interval <= 0 || time.Since(rec.at) >= interval {
		return fetchRecord{}, false
	}
	return rec, true
}

// record remembers the outcome of a fetch with the credentials fp (err nil
// for success) and forgets those older than interval; called with m.lock
// held.
func (m *mirror) record(fp string, err error, interval time.Duration) {
	now := time.Now()
	if err == nil {
		m.lastFetch = now
	}
	for k, rec := range m.fetches {
		if now.Sub(rec.at) >= interval {
			delete(m.fetches, k)
		}
	}
	if interval <= 0 {
		return
	}
	if m.fetches == nil {
		m.fetches = map[string]fetchRecord{}
	}
	m.fetches[fp] = fetchRecord{at: now, err: err}
}

// fingerprint identifies the credentials of a fetch: the URL (it may hold
// a user and password) and auth. It is a keyed hash, so the credentials
// are not kept and cannot be checked against guesses.
func (c *Cache) fingerprint(url string, auth *Auth) string {
	h := hmac.New(sha256.New, c.credKey)
	writeField(h, []byte(url))
	return hex.EncodeToString(auth.Digest(h))
}

// Digest writes every field of a (nil is no credentials, as an empty
// Auth) to h and returns h's sum: a key for caches that may serve what was
// fetched with these credentials only to callers that have the same. Use a
// keyed hash where the digest is kept beyond the process.
func (a *Auth) Digest(h hash.Hash) []byte {
	var v Auth
	if a != nil {
		v = *a
	}
	for _, f := range [][]byte{[]byte(v.Username), []byte(v.Password), v.SSHKey, v.KnownHosts, v.CABundle} {
		writeField(h, f)
	}
	fmt.Fprintf(h, "%t,%t", v.Agent, v.InsecureIgnoreHostKey)
	return h.Sum(nil)
}

// writeField writes b length-prefixed, so that fields cannot run into
// each other.
func writeField(h hash.Hash, b []byte) {
	fmt.Fprintf(h, "%d:", len(b))
	h.Write(b)
}

// fetch brings the bare mirror of m up to date for a caller with auth;
// called with m.lock held. The outcome of a fetch with the same
// credentials within MinFetchInterval is reused: its mirror, or its
// failure, so that the waiters on a server that hangs or refuses fail
// fast instead of each trying again. Any other caller asks the server.
func (c *Cache) fetch(ctx context.Context, m *mirror, url string, auth *Auth) (*git.Repository, error) {
	repo, err := c.openMirror(m, url)
	if err != nil {
		return nil, err
	}
	fp := c.fingerprint(url, auth)
	if c.opts.Shared {
		c.readStamp(m, fp)
	}
	if rec, ok := m.recent(fp, c.opts.MinFetchInterval); ok {
		if rec.err != nil {
			return nil, fmt.Errorf("%w (failed %s ago; not retried within %s)", rec.err, time.Since(rec.at).Round(time.Millisecond), c.opts.MinFetchInterval)
		}
		return repo, nil
	}
	err = c.fetchRemote(ctx, repo, url, auth)
	if err != nil && ctx.Err() != nil {
		// The caller gave up: that says nothing about the server, and
		// other callers must not fail for it.
		return nil, err
	}
	m.record(fp, err, c.opts.MinFetchInterval)
	if err != nil {
		return nil, err
	}
	if c.opts.Shared {
		_ = os.WriteFile(m.dir+".fetched", nil, 0o600)
		_ = os.Chtimes(m.dir+".fetched", m.lastFetch, m.lastFetch)
	}
	return repo, nil
}

// openMirror opens the bare mirror of m, creating it when missing or
// broken (forgetting what was fetched into the old one).
func (c *Cache) openMirror(m *mirror, url string) (*git.Repository, error) {
	if repo, err := git.PlainOpen(m.dir); err == nil {
		return repo, nil
	}
	_ = os.RemoveAll(m.dir)
	m.lastFetch, m.fetches = time.Time{}, nil
	repo, err := git.PlainInit(m.dir, true)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		return nil, err
	}
	return repo, nil
}

// readStamp counts a recent fetch of a shared cache by another process as
// made with the caller's credentials: a shared cache is one user's (the
// CLI's), whose processes use the same credentials. A fetch by this
// process is known with its credentials and needs no stamp.
func (c *Cache) readStamp(m *mirror, fp string) {
	if !m.lastFetch.IsZero() {
		return
	}
	st, err := os.Stat(m.dir + ".fetched")
	if err != nil {
		return
	}
	m.lastFetch = st.ModTime()
	if _, ok := m.fetches[fp]; !ok {
		if m.fetches == nil {
			m.fetches = map[string]fetchRecord{}
		}
		m.fetches[fp] = fetchRecord{at: m.lastFetch}
	}
}

// fetchRemote fetches every branch and tag of url into repo, within
// FetchTimeout.
func (c *Cache) fetchRemote(ctx context.Context, repo *git.Repository, url string, auth *Auth) error {
	am, err := authMethod(url, auth, c.opts.Dir)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	opts := &git.FetchOptions{
		RemoteName: "origin", RemoteURL: url, Auth: am, Force: true, Prune: true, Tags: git.AllTags,
		RefSpecs: []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", "+HEAD:refs/remotes/origin/HEAD"},
	}
	if auth != nil {
		opts.CABundle = auth.CABundle
	}
	err = repo.FetchContext(fctx, opts)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) && fctx.Err() == nil {
		// Some servers do not advertise HEAD as a fetchable ref.
		opts.RefSpecs = opts.RefSpecs[:2]
		if err2 := repo.FetchContext(fctx, opts); err2 == nil || errors.Is(err2, git.NoErrAlreadyUpToDate) {
			err = nil
		}
	}
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case ctx.Err() == nil && fctx.Err() != nil:
		return fmt.Errorf("no answer within %s: %w", c.opts.FetchTimeout, err)
	}
	return cleanErr(err)
}

// cleanErr turns go-git's transport errors into short messages.
func cleanErr(err error) error {
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return errors.New("authentication required: no or wrong credentials for this repository")
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return errors.New("authorization failed: the credentials for this repository were refused")
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return errors.New("repository not found")
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return errors.New("the repository is empty")
	case strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return fmt.Errorf("ssh authentication failed: the server refused the ssh identity (%w)", err)
	}
	return err
}
