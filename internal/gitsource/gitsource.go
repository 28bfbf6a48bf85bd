// Package gitsource fetches projects from git for the GitOps controller: a
// bounded on-disk cache of bare mirrors, shared by every deployment of the
// same repository, and read-only exports of the commits in use. Fetches of
// one repository are serialised and deduplicated within MinFetchInterval
// among callers with the same credentials.
package gitsource

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
)

// Ref selects a branch, a tag or a commit; all empty means the remote's
// default branch.
type Ref struct {
	Branch, Tag, Commit string
	// Name is a branch or a tag (the deprecated string ref of git
	// includes): a branch of that name wins.
	Name string
}

func (r Ref) String() string {
	switch {
	case r.Commit != "":
		return "commit " + r.Commit
	case r.Tag != "":
		return "tag " + r.Tag
	case r.Branch != "":
		return "branch " + r.Branch
	case r.Name != "":
		return "ref " + r.Name
	}
	return "the default branch"
}

// Auth are the credentials of one repository.
type Auth struct {
	Username, Password string
	// SSHKey is a PEM private key; KnownHosts lines verify the server.
	SSHKey     []byte
	KnownHosts []byte
	// CABundle verifies https servers.
	CABundle []byte
	// Agent uses the keys of the ssh agent (SSH_AUTH_SOCK) when there is
	// no SSHKey.
	Agent bool
	// InsecureIgnoreHostKey accepts any ssh host key
	// (KLUCTL_SSH_DISABLE_STRICT_HOST_KEY_CHECKING).
	InsecureIgnoreHostKey bool
}

// Options configure a Cache.
type Options struct {
	// Dir holds the mirrors and exports.
	Dir string
	// MaxRepos bounds the mirrors on disk (least recently used are
	// removed); default 64.
	MaxRepos int
	// MaxExports bounds the exported commits kept when unused; default 32.
	MaxExports int
	// MinFetchInterval skips a fetch when the same repository was fetched
	// this recently with the same credentials, and fails right away when
	// such a fetch failed; default 0 (always fetch). A caller with other
	// credentials (or none) always asks the server itself, so that a
	// mirror never serves a caller the server would refuse.
	MinFetchInterval time.Duration
	// FetchTimeout bounds each fetch (go-git's http client has no
	// timeout of its own); default 5 minutes.
	FetchTimeout time.Duration
	// Shared means Dir is shared with other processes (the CLI's cache
	// in the user's cache folder): the mirrors stay after Close, each is
	// locked against other processes while it is fetched and read, and
	// the exports go to a folder of this Cache only.
	Shared bool
}

// Cache fetches and exports repositories. It is safe for concurrent use.
type Cache struct {
	opts Options
	// exportDir holds the exports of this Cache.
	exportDir string
	// credKey keys the fingerprints of credentials (see fingerprint), so
	// that they cannot be checked against guessed passwords.
	credKey []byte
	mu      sync.Mutex
	repos   map[string]*mirror
	exports map[string]*export
}

type mirror struct {
	dir string
	// lock serialises fetches and reads of the mirror (see acquire).
	lock chan struct{}
	// lastUsed and inUse are guarded by Cache.mu.
	lastUsed time.Time
	inUse    int
	// lastFetch (the last successful fetch, of this process or, in a
	// shared cache, of another) and fetches (the last outcome per
	// credentials fingerprint) are guarded by lock.
	lastFetch time.Time
	fetches   map[string]fetchRecord
}

type export struct {
	dir      string
	refs     int
	lastUsed time.Time
	ready    chan struct{}
	err      error
}

// New returns a cache in opts.Dir.
func New(opts Options) (*Cache, error) {
	if opts.Dir == "" {
		return nil, errors.New("gitsource: no cache folder")
	}
	if opts.MaxRepos <= 0 {
		opts.MaxRepos = 64
	}
	if opts.MaxExports <= 0 {
		opts.MaxExports = 32
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "mirrors"), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("gitsource: credentials key: %w", err)
	}
	c := &Cache{opts: opts, exportDir: filepath.Join(opts.Dir, "exports"), credKey: key, repos: map[string]*mirror{}, exports: map[string]*export{}}
	if opts.Shared {
		// Exports live only while in use: the folder is made with the
		// first and removed with the last (see release in export).
		pruneShared(opts.Dir, opts.MaxRepos)
		c.exportDir = filepath.Join(opts.Dir, fmt.Sprintf("exports-%d-%d", os.Getpid(), time.Now().UnixNano()))
	} else if err := os.MkdirAll(c.exportDir, 0o700); err != nil {
		return nil, err
	}
	return c, nil
}

// Checkout is an exported commit; call Release when done with Dir.
type Checkout struct {
	// Dir holds the files of the commit (read-only by convention).
	Dir string
	// Commit is the commit hash; Ref the branch or tag it was found by.
	Commit string
	Ref    Ref
	// RepoKey is the normalised repository key.
	RepoKey string
	release func()
}

// Release gives the export back to the cache.
func (c *Checkout) Release() {
	if c.release != nil {
		c.release()
		c.release = nil
	}
}

// Error is a failure to fetch a repository, naming it without credentials.
type Error struct {
	URL, Op string
	Err     error
}

func (e *Error) Error() string { return fmt.Sprintf("git %s of %s: %v", e.Op, e.URL, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Checkout fetches url (unless fetched with the same credentials within
// MinFetchInterval), resolves ref and exports that commit.
func (c *Cache) Checkout(ctx context.Context, url string, ref Ref, auth *Auth) (*Checkout, error) {
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, &Error{URL: url, Op: "parse", Err: err}
	}
	safeURL := gitinfo.Redacted(u)
	key := gitinfo.RepoKey(u)
	m := c.mirror(key)
	defer c.releaseMirror(m)

	if err := m.acquire(ctx); err != nil {
		return nil, &Error{URL: safeURL, Op: "lock", Err: err}
	}
	unlock, err := c.lockMirror(ctx, m)
	if err != nil {
		m.release()
		return nil, &Error{URL: safeURL, Op: "lock", Err: err}
	}
	// The other processes of a shared cache stay out until the export
	// has read what it needs.
	defer unlock()
	repo, err := c.fetch(ctx, m, url, auth)
	if err != nil {
		m.release()
		return nil, &Error{URL: safeURL, Op: "fetch", Err: err}
	}
	hash, resolved, err := resolve(repo, ref)
	m.release()
	if err != nil {
		return nil, &Error{URL: safeURL, Op: "checkout", Err: err}
	}
	dir, release, err := c.export(ctx, repo, hash, m)
	if err != nil {
		return nil, &Error{URL: safeURL, Op: "export", Err: err}
	}
	return &Checkout{Dir: dir, Commit: hash.String(), Ref: resolved, RepoKey: key, release: release}, nil
}

func (c *Cache) mirror(key string) *mirror {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.repos[key]
	if m == nil {
		sum := sha256.Sum256([]byte(key))
		m = &mirror{dir: filepath.Join(c.opts.Dir, "mirrors", hex.EncodeToString(sum[:12])), lock: make(chan struct{}, 1)}
		c.repos[key] = m
	}
	m.inUse++
	m.lastUsed = time.Now()
	c.evictMirrors()
	return m
}

func (c *Cache) releaseMirror(m *mirror) {
	c.mu.Lock()
	m.inUse--
	c.mu.Unlock()
}

// evictMirrors removes the least recently used unused mirrors beyond
// MaxRepos. Called with c.mu held.
func (c *Cache) evictMirrors() {
	if len(c.repos) <= c.opts.MaxRepos {
		return
	}
	type kv struct {
		key string
		m   *mirror
	}
	var idle []kv
	for k, m := range c.repos {
		if m.inUse == 0 {
			idle = append(idle, kv{k, m})
		}
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].m.lastUsed.Before(idle[j].m.lastUsed) })
	for _, e := range idle {
		if len(c.repos) <= c.opts.MaxRepos {
			return
		}
		delete(c.repos, e.key)
		if !c.opts.Shared {
			_ = os.RemoveAll(e.m.dir)
		}
	}
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

// resolve finds the commit of ref in repo.
func resolve(repo *git.Repository, ref Ref) (plumbing.Hash, Ref, error) {
	switch {
	case ref.Commit != "":
		h := plumbing.NewHash(ref.Commit)
		if _, err := repo.CommitObject(h); err != nil {
			return h, ref, fmt.Errorf("commit %s not found", ref.Commit)
		}
		return h, ref, nil
	case ref.Tag != "":
		r, err := repo.Reference(plumbing.NewTagReferenceName(ref.Tag), true)
		if err != nil {
			return plumbing.ZeroHash, ref, fmt.Errorf("tag %q not found", ref.Tag)
		}
		h := r.Hash()
		if t, err := repo.TagObject(h); err == nil {
			c, err := t.Commit()
			if err != nil {
				return h, ref, err
			}
			h = c.Hash
		}
		return h, ref, nil
	case ref.Branch != "":
		r, err := repo.Reference(plumbing.NewBranchReferenceName(ref.Branch), true)
		if err != nil {
			return plumbing.ZeroHash, ref, fmt.Errorf("branch %q not found", ref.Branch)
		}
		return r.Hash(), ref, nil
	case ref.Name != "":
		if h, r, err := resolve(repo, Ref{Branch: ref.Name}); err == nil {
			return h, r, nil
		}
		if h, r, err := resolve(repo, Ref{Tag: ref.Name}); err == nil {
			return h, r, nil
		}
		return plumbing.ZeroHash, ref, fmt.Errorf("no branch or tag %q found", ref.Name)
	}
	head, err := repo.Reference(plumbing.NewRemoteHEADReferenceName("origin"), false)
	if err == nil && head.Type() == plumbing.SymbolicReference {
		branch := head.Target().Short()
		branch = strings.TrimPrefix(branch, "origin/")
		return resolve(repo, Ref{Branch: branch})
	}
	for _, b := range []string{"main", "master"} {
		if h, r, err := resolve(repo, Ref{Branch: b}); err == nil {
			return h, r, nil
		}
	}
	return plumbing.ZeroHash, ref, errors.New("no default branch found; set ref.branch")
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

// Close removes everything the cache wrote.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.repos = map[string]*mirror{}
	c.exports = map[string]*export{}
	if c.opts.Shared {
		return os.RemoveAll(c.exportDir)
	}
	return errors.Join(os.RemoveAll(filepath.Join(c.opts.Dir, "mirrors")), os.RemoveAll(c.exportDir))
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
