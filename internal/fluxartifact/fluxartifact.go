// Package fluxartifact fetches the artifacts of Flux sources (the tarballs
// a source-controller serves for a GitRepository or Bucket) for the
// controller: downloaded once per digest, verified, unpacked safely and
// shared, reference-counted, by every deployment of the same revision.
package fluxartifact

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kluctl-go/kluctl/internal/safetar"
)

// Options configure a Cache.
type Options struct {
	// Dir holds the unpacked artifacts.
	Dir string
	// MaxArtifacts bounds the unpacked artifacts kept while unused; 32
	// when 0.
	MaxArtifacts int
	// MaxSize bounds an artifact's download and its unpacked size; 512 MiB
	// when 0.
	MaxSize int64
	// MaxFiles bounds the entries of an artifact; 100000 when 0.
	MaxFiles int
	// HTTPClient downloads; a client with a 5 minute timeout when nil.
	HTTPClient *http.Client
}

// Cache fetches and unpacks artifacts. It is safe for concurrent use.
type Cache struct {
	opts Options
	mu   sync.Mutex
	arts map[string]*artifact
}

type artifact struct {
	dir      string
	refs     int
	lastUsed time.Time
	ready    chan struct{}
	err      error
}

// New returns a cache in opts.Dir.
func New(opts Options) (*Cache, error) {
	if opts.Dir == "" {
		return nil, errors.New("fluxartifact: no cache folder")
	}
	if opts.MaxArtifacts <= 0 {
		opts.MaxArtifacts = 32
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 512 << 20
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 100000
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Minute}
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	return &Cache{opts: opts, arts: map[string]*artifact{}}, nil
}

// Artifact is an unpacked artifact; call Release when done with Dir.
type Artifact struct {
	// Dir holds the files (read-only by convention).
	Dir string
	// Revision is the source's revision of the artifact.
	Revision string
	release  func()
}

// Release gives the artifact back to the cache.
func (a *Artifact) Release() {
	if a.release != nil {
		a.release()
		a.release = nil
	}
}

// Ref names an artifact as a Flux source's status.artifact does.
type Ref struct {
	URL      string
	Revision string
	// Digest is "<algorithm>:<hex>" (sha256, sha384 or sha512); Checksum
	// the older plain sha256 hex. One of them is required.
	Digest, Checksum string
}

// Get downloads (unless already unpacked), verifies and unpacks ref.
func (c *Cache) Get(ctx context.Context, ref Ref) (*Artifact, error) {
	algo, sum, err := parseDigest(ref)
	if err != nil {
		return nil, err
	}
	key := algo + "-" + sum
	c.mu.Lock()
	a, ok := c.arts[key]
	if !ok {
		a = &artifact{dir: filepath.Join(c.opts.Dir, key), ready: make(chan struct{})}
		c.arts[key] = a
		go c.fetch(context.WithoutCancel(ctx), a, ref, algo, sum)
	}
	a.refs++
	a.lastUsed = time.Now()
	c.mu.Unlock()

	release := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		a.refs--
		a.lastUsed = time.Now()
		c.evictLocked()
	}
	select {
	case <-a.ready:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	if a.err != nil {
		c.mu.Lock()
		if c.arts[key] == a {
			delete(c.arts, key) // a later attempt tries again
		}
		c.mu.Unlock()
		release()
		return nil, a.err
	}
	return &Artifact{Dir: a.dir, Revision: ref.Revision, release: release}, nil
}

// fetch downloads and unpacks one artifact, then closes a.ready.
func (c *Cache) fetch(ctx context.Context, a *artifact, ref Ref, algo, sum string) {
	defer close(a.ready)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	a.err = c.download(ctx, a.dir, ref, algo, sum)
	if a.err != nil {
		a.err = fmt.Errorf("artifact %s: %w", redact(ref.URL), a.err)
	}
}

func (c *Cache) download(ctx context.Context, dir string, ref Ref, algo, sum string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.URL, nil)
	if err != nil {
		return err
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which the caller names redacted
		}
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download: %s", resp.Status)
	}
	tmp, err := os.CreateTemp(c.opts.Dir, "download-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := newHash(algo)
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, c.opts.MaxSize+1))
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if n > c.opts.MaxSize {
		return fmt.Errorf("larger than %d bytes", c.opts.MaxSize)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("digest mismatch: the download has %s:%s, the source announced %s:%s", algo, got, algo, sum)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	unpacked, err := os.MkdirTemp(c.opts.Dir, "unpack-")
	if err != nil {
		return err
	}
	if err := safetar.Extract(tmp, unpacked, safetar.Options{MaxBytes: c.opts.MaxSize, MaxFiles: c.opts.MaxFiles, Links: safetar.LinksInside}); err != nil {
		_ = os.RemoveAll(unpacked)
		return fmt.Errorf("unpack: %w", err)
	}
	_ = os.RemoveAll(dir)
	return os.Rename(unpacked, dir)
}

// evictLocked removes unused artifacts beyond MaxArtifacts, least
// recently used first.
func (c *Cache) evictLocked() {
	var unused []string
	for k, a := range c.arts {
		if a.refs == 0 {
			select {
			case <-a.ready:
				unused = append(unused, k)
			default:
			}
		}
	}
	if len(unused) <= c.opts.MaxArtifacts {
		return
	}
	sort.Slice(unused, func(i, j int) bool { return c.arts[unused[i]].lastUsed.Before(c.arts[unused[j]].lastUsed) })
	for _, k := range unused[:len(unused)-c.opts.MaxArtifacts] {
		_ = os.RemoveAll(c.arts[k].dir)
		delete(c.arts, k)
	}
}

// Close removes every unpacked artifact.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arts = map[string]*artifact{}
	return os.RemoveAll(c.opts.Dir)
}

func parseDigest(ref Ref) (string, string, error) {
	if ref.URL == "" {
		return "", "", errors.New("the source has no artifact URL")
	}
	algo, sum := "sha256", strings.ToLower(ref.Checksum)
	if ref.Digest != "" {
		var ok bool
		algo, sum, ok = strings.Cut(strings.ToLower(ref.Digest), ":")
		if !ok {
			return "", "", fmt.Errorf("artifact digest %q: want <algorithm>:<hex>", ref.Digest)
		}
	}
	if newHash(algo) == nil {
		return "", "", fmt.Errorf("artifact digest %q: unsupported algorithm %s", ref.Digest, algo)
	}
	if _, err := hex.DecodeString(sum); err != nil || sum == "" || len(sum) != 2*newHash(algo).Size() {
		return "", "", fmt.Errorf("artifact digest %q is not a valid %s digest", algo+":"+sum, algo)
	}
	return algo, sum, nil
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// redact drops a URL's query and user info (artifact URLs carry neither
// normally; a proxy might).
func redact(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		if at := strings.Index(rest, "@"); at >= 0 && at < strings.IndexByte(rest+"/", '/') {
			rest = rest[at+1:]
		}
		return scheme + "://" + rest
	}
	return u
}
