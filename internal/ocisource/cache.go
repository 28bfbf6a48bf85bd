package ocisource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/safetar"
)

// Options configure a Cache.
type Options struct {
	// Dir holds the unpacked artifacts; processes may share it.
	Dir string
	// MaxArtifacts bounds the artifacts kept on disk: beyond it, the
	// least recently used that nobody has used for an hour are removed
	// (default 32).
	MaxArtifacts int
	// MaxBytes bounds the size of one artifact, packed and unpacked
	// (default 512 MiB).
	MaxBytes int64
	// MaxFiles bounds the entries of one artifact (default 50000).
	MaxFiles int
}

// Cache pulls artifacts and keeps them unpacked, one folder per manifest
// digest. Folders are locked against removal while in use, by this and
// other processes. It is safe for concurrent use.
type Cache struct {
	opts Options
}

// New returns the cache in opts.Dir and prunes it.
func New(opts Options) (*Cache, error) {
	if opts.Dir == "" {
		return nil, errors.New("ocisource: no cache folder")
	}
	if opts.MaxArtifacts <= 0 {
		opts.MaxArtifacts = 32
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 512 << 20
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 50000
	}
	for _, d := range []string{"artifacts", "tmp"} {
		if err := os.MkdirAll(filepath.Join(opts.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("oci cache: %w", err)
		}
	}
	prune(opts.Dir, opts.MaxArtifacts)
	return &Cache{opts: opts}, nil
}

// Ref selects an artifact: a tag or a digest (sha256:<hex>); none is
// the tag latest.
type Ref struct {
	Tag, Digest string
}

func (r Ref) String() string {
	switch {
	case r.Digest != "":
		return "digest " + r.Digest
	case r.Tag != "":
		return "tag " + r.Tag
	}
	return "tag latest"
}

// Artifact is an unpacked artifact; call Release when done with Dir.
type Artifact struct {
	// Dir holds the files of the artifact (read-only by convention).
	Dir string
	// URL is the repository, oci://host/repository; Digest the
	// manifest digest, sha256:<hex>.
	URL, Digest string
	// Annotations are the manifest's.
	Annotations map[string]string
	release     func()
}

// Release gives the folder back to the cache.
func (a *Artifact) Release() {
	if a.release != nil {
		a.release()
		a.release = nil
	}
}

// GitInfoAnnotation holds the git checkout `kluctl oci push` packed, as
// JSON.
const GitInfoAnnotation = "io.kluctl.image.git_info"

// GitInfo returns the git checkout the artifact was pushed from, nil when
// it does not say.
func (a *Artifact) GitInfo() *result.GitInfo {
	s, ok := a.Annotations[GitInfoAnnotation]
	if !ok {
		return nil
	}
	var gi result.GitInfo
	if json.Unmarshal([]byte(s), &gi) != nil {
		return nil
	}
	return &gi
}

// Pull returns the artifact rawURL at ref, unpacked. A digest already in
// the cache needs no registry; a tag is always resolved by the registry.
func (c *Cache) Pull(ctx context.Context, reg *Registry, rawURL string, ref Ref) (*Artifact, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	fail := func(op string, err error) (*Artifact, error) {
		return nil, &Error{Op: op, URL: u.String(), Ref: ref.String(), Err: err}
	}
	if ref.Tag != "" && ref.Digest != "" {
		return fail("pull", errors.New("only one of tag and digest may be set"))
	}
	repo, ropts, done, err := reg.repository(ctx, u)
	if err != nil {
		return fail("pull", err)
	}
	defer done()
	var desc *remote.Descriptor
	var digest v1.Hash
	if ref.Digest != "" {
		if digest, err = v1.NewHash(ref.Digest); err != nil {
			return fail("pull", fmt.Errorf("invalid digest: %w", err))
		}
	} else {
		tag := ref.Tag
		if tag == "" {
			tag = "latest"
		}
		if !tagRe.MatchString(tag) {
			return fail("pull", fmt.Errorf("invalid tag %q", tag))
		}
		if desc, err = remote.Get(repo.Tag(tag), ropts...); err != nil {
			return fail("pull", explain(err))
		}
		digest = desc.Digest
	}
	fill := func(dir string) ([]byte, error) {
		if desc == nil {
			if desc, err = remote.Get(repo.Digest(digest.String()), ropts...); err != nil {
				return nil, explain(err)
			}
		}
		return c.unpack(desc, dir)
	}
	dir, manifest, release, err := c.open(ctx, digest, fill)
	if err != nil {
		return fail("pull", err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		release()
		return fail("pull", fmt.Errorf("cached manifest: %w", err))
	}
	return &Artifact{Dir: dir, URL: u.String(), Digest: digest.String(), Annotations: m.Annotations, release: release}, nil
}

// tagRe is what the OCI distribution spec allows as a tag.
var tagRe = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// unpack downloads the content layer of the artifact desc into dir and
// returns its raw manifest.
func (c *Cache) unpack(desc *remote.Descriptor, dir string) ([]byte, error) {
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("not an artifact of kluctl oci push: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	idx := contentLayer(m)
	if idx < 0 {
		return nil, errors.New("the artifact has no layers")
	}
	if m.Layers[idx].Size > c.opts.MaxBytes {
		return nil, fmt.Errorf("the artifact's content is %d bytes, more than the limit of %d", m.Layers[idx].Size, c.opts.MaxBytes)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	rc, err := layers[idx].Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := safetar.Extract(rc, dir, safetar.Options{MaxBytes: c.opts.MaxBytes, MaxFiles: c.opts.MaxFiles, Links: safetar.SkipLinks}); err != nil {
		return nil, fmt.Errorf("unpack: %w", err)
	}
	// Read to the end: the layer's digest is verified there.
	if _, err := io.Copy(io.Discard, io.LimitReader(rc, c.opts.MaxBytes)); err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return nil, err
	}
	return raw, nil
}

// contentLayer is the index of the project layer: the first with a
// content media type of kluctl or Flux, else the first layer (as the
// original takes it); -1 without layers.
func contentLayer(m *v1.Manifest) int {
	for i, l := range m.Layers {
		if isContentMediaType(string(l.MediaType)) {
			return i
		}
	}
	if len(m.Layers) == 0 {
		return -1
	}
	return 0
}

func isContentMediaType(mt string) bool {
	return mt == string(ContentMediaType) || strings.HasSuffix(mt, ".content.v1.tar+gzip")
}
