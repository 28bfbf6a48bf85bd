package project

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// GitInclude is a git include of a deployment item: `git: <url>` or
// `git: {url, ref, subDir}`.
type GitInclude struct {
	URL    string  `json:"url"`
	Ref    *GitRef `json:"ref,omitempty"`
	SubDir string  `json:"subDir,omitempty"`
}

// GitRef selects what a git include checks out: one of Branch, Tag and
// Commit, or Name, the deprecated string form (a branch or a tag). All
// empty means the default branch.
type GitRef struct {
	Branch string `json:"branch,omitempty"`
	Tag    string `json:"tag,omitempty"`
	Commit string `json:"commit,omitempty"`
	Name   string `json:"-"`
}

// UnmarshalJSON accepts a URL string or the object form.
func (g *GitInclude) UnmarshalJSON(b []byte) error {
	var url string
	if err := json.Unmarshal(b, &url); err == nil {
		*g = GitInclude{URL: url}
		return nil
	}
	type plain GitInclude
	var p plain
	if err := decodeStrictJSON(b, &p); err != nil {
		return err
	}
	*g = GitInclude(p)
	return nil
}

// UnmarshalJSON accepts the deprecated string form or {branch|tag|commit}.
func (r *GitRef) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*r = GitRef{Name: name}
		return nil
	}
	type plain GitRef
	var p plain
	if err := decodeStrictJSON(b, &p); err != nil {
		return err
	}
	*r = GitRef(p)
	return nil
}

// check fails when more than one of branch, tag and commit is set.
func (r *GitRef) check() error {
	n := 0
	for _, s := range []string{r.Branch, r.Tag, r.Commit} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("only one of branch, tag and commit may be set")
	}
	return nil
}

// String describes the ref for messages.
func (r *GitRef) String() string {
	switch {
	case r == nil:
		return "the default branch"
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

func decodeStrictJSON(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// RemoteSource is a repository fetched for a git include: its files
// (read-only), shared with other users of the same commit.
type RemoteSource struct {
	// Dir is the root of the repository's files.
	Dir string
	// URL is the repository (without credentials), Commit the commit the
	// ref resolved to.
	URL, Commit string
}

// DecryptFunc returns the plain content of the SOPS file data (at path);
// decrypted is false when data is not a SOPS file.
type DecryptFunc func(ctx context.Context, path string, data []byte) (plain []byte, decrypted bool, err error)

// FetchOCIFunc fetches the artifact url at ref for an OCI include and
// returns its unpacked files; as FetchGitFunc.
type FetchOCIFunc func(ctx context.Context, url string, ref *OciRef) (*RemoteSource, error)

// FetchGitFunc fetches the repository url at ref for a git include. The
// caller of Load keeps the returned folders alive until it is done with
// the project.
type FetchGitFunc func(ctx context.Context, url string, ref *GitRef) (*RemoteSource, error)

// IncludeError is a git include that could not be fetched; it names the
// include and the deployment.yml declaring it.
type IncludeError struct {
	Path, Field string
	URL, Ref    string
	Err         error
}

func (e *IncludeError) Error() string {
	kind := "git"
	if strings.HasSuffix(e.Field, ".oci") {
		kind = "oci"
	}
	return fmt.Sprintf("%s: %s: %s include of %s (%s): %v", e.Path, e.Field, kind, e.URL, e.Ref, e.Err)
}

func (e *IncludeError) Unwrap() error { return e.Err }

// sourceID names a remote source in rendered output folders: the host
// and path of its URL, made safe for a folder name, and the commit.
func sourceID(src *RemoteSource) string {
	id := src.URL
	if i := strings.Index(id, "://"); i >= 0 {
		id = id[i+3:]
	}
	if i := strings.LastIndex(id, "@"); i >= 0 {
		id = id[i+1:]
	}
	id = strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(strings.Trim(id, "/"))
	c := strings.TrimPrefix(src.Commit, "sha256:")
	if len(c) > 12 {
		c = c[:12]
	}
	return ".sources/" + id + "-" + c
}
