package gitsource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/project"
)

// Override is a local override of a git repository
// (--local-git-override, --local-git-group-override).
type Override = project.Override

// ParseOverride parses "<host>/<path>=<dir>" (also the deprecated
// "<host>:<path>=<dir>").
func ParseOverride(s string, group bool) (Override, error) {
	key, dir, ok := strings.Cut(s, "=")
	if !ok || key == "" || dir == "" {
		return Override{}, fmt.Errorf("%q is not in the form <host>/<path>=<local folder>", s)
	}
	if i := strings.Index(key, ":"); i >= 0 && !strings.Contains(key[:i], "/") && !strings.HasPrefix(key[i+1:], "/") {
		// host:path, the legacy form (not host:port/path).
		if _, err := fmt.Sscanf(key[i+1:], "%d", new(int)); err != nil {
			key = key[:i] + "/" + key[i+1:]
		}
	}
	key = strings.ToLower(strings.Trim(key, "/"))
	key = strings.TrimSuffix(key, ".git")
	return Override{RepoKey: key, Group: group, Dir: dir}, nil
}

// Includes fetches the repositories of git includes out of a Cache, with
// the credentials Auth finds for each URL.
type Includes struct {
	Cache *Cache
	// Auth returns the credentials of a repository (nil for none).
	Auth func(ctx context.Context, url string) (*Auth, error)
	// Overrides replace repositories by local folders.
	Overrides []Override
}

// Fetch implements engine.Options.FetchGit.
func (i *Includes) Fetch(ctx context.Context, url string, ref *project.GitRef) (*project.RemoteSource, func(), error) {
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, nil, fmt.Errorf("url: %w", err)
	}
	safe := gitinfo.Redacted(u)
	if d := project.LocalDir(i.Overrides, strings.TrimPrefix(gitinfo.RepoKey(u), "git://")); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, nil, err
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("local override %s of %s is not a folder", d, safe)
		}
		return &project.RemoteSource{Dir: abs, URL: safe, Commit: "local"}, func() {}, nil
	}
	if i.Cache == nil {
		return nil, nil, fmt.Errorf("no git cache to fetch %s", safe)
	}
	var auth *Auth
	if i.Auth != nil {
		if auth, err = i.Auth(ctx, url); err != nil {
			return nil, nil, err
		}
	}
	var r Ref
	if ref != nil {
		r = Ref{Branch: ref.Branch, Tag: ref.Tag, Commit: ref.Commit, Name: ref.Name}
	}
	co, err := i.Cache.Checkout(ctx, url, r, auth)
	if err != nil {
		return nil, nil, err
	}
	return &project.RemoteSource{Dir: co.Dir, URL: safe, Commit: co.Commit}, co.Release, nil
}
