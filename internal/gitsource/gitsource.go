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
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

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
