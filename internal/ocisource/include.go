package ocisource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kluctl-go/kluctl/internal/project"
)

// Override is a local override of an OCI repository
// (--local-oci-override, --local-oci-group-override).
type Override = project.Override

// ParseOverride parses "<registry>/<path>=<dir>".
func ParseOverride(s string, group bool) (Override, error) {
	key, dir, ok := strings.Cut(s, "=")
	key = strings.Trim(strings.TrimPrefix(key, "oci://"), "/")
	if !ok || key == "" || dir == "" {
		return Override{}, fmt.Errorf("%q is not in the form <registry>/<repository>=<local folder>", s)
	}
	return Override{RepoKey: strings.ToLower(key), Group: group, Dir: dir}, nil
}

// Includes fetches the artifacts of OCI includes out of a Cache.
type Includes struct {
	Cache    *Cache
	Registry *Registry
	// Overrides replace repositories by local folders.
	Overrides []Override
}

// Fetch implements engine.Options.FetchOCI.
func (i *Includes) Fetch(ctx context.Context, url string, ref *project.OciRef) (*project.RemoteSource, func(), error) {
	u, err := ParseURL(url)
	if err != nil {
		return nil, nil, err
	}
	if d := project.LocalDir(i.Overrides, u.Key()); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, nil, err
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("local override %s of %s is not a folder", d, u)
		}
		return &project.RemoteSource{Dir: abs, URL: u.String(), Commit: "local"}, func() {}, nil
	}
	if i.Cache == nil {
		return nil, nil, errors.New("no oci cache to fetch from")
	}
	var r Ref
	if ref != nil {
		r = Ref{Tag: ref.Tag, Digest: ref.Digest}
	}
	a, err := i.Cache.Pull(ctx, i.Registry, url, r)
	if err != nil {
		// The include error names the URL and ref already.
		var e *Error
		if errors.As(err, &e) {
			err = e.Err
		}
		return nil, nil, err
	}
	return &project.RemoteSource{Dir: a.Dir, URL: a.URL, Commit: a.Digest}, a.Release, nil
}
