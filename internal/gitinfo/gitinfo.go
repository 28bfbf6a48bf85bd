// Package gitinfo describes the git checkout a project comes from, the way
// command results record it: the origin URL, the checked out branch or
// tag, the commit and whether the work tree is dirty, plus the project key
// (normalised repository and folder) that groups results of one project.
package gitinfo

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/kluctl-go/kluctl/internal/result"
)

// Build returns the git info and project key of the project in projectDir
// inside the work tree repoRoot. Outside git (no repoRoot/.git) both are
// empty and the error is nil.
func Build(repoRoot, projectDir string) (result.GitInfo, result.ProjectKey, error) {
	var info result.GitInfo
	var key result.ProjectKey
	if repoRoot == "" {
		return info, key, nil
	}
	if _, err := os.Stat(filepath.Join(repoRoot, ".git")); err != nil {
		return info, key, nil
	}
	sub, err := filepath.Rel(repoRoot, projectDir)
	if err != nil || strings.HasPrefix(sub, "..") {
		return info, key, fmt.Errorf("project folder %s is not inside the git work tree %s", projectDir, repoRoot)
	}
	if sub == "." {
		sub = ""
	}
	info.SubDir = filepath.ToSlash(sub)
	key.SubDir = info.SubDir

	repo, err := git.PlainOpen(repoRoot)
	if err != nil {
		return info, key, fmt.Errorf("open git repository %s: %w", repoRoot, err)
	}
	if remote, err := repo.Remote("origin"); err == nil && len(remote.Config().URLs) != 0 {
		u, err := ParseURL(remote.Config().URLs[0])
		if err != nil {
			return info, key, fmt.Errorf("origin of %s: %w", repoRoot, err)
		}
		s := Redacted(u)
		info.URL = &s
		key.RepoKey = RepoKey(u)
	}
	head, err := repo.Head()
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		// No commit yet.
	case err != nil:
		return info, key, fmt.Errorf("read HEAD of %s: %w", repoRoot, err)
	default:
		info.Commit = head.Hash().String()
		switch {
		case head.Name().IsBranch():
			info.Ref = &result.GitRef{Branch: head.Name().Short()}
		case head.Name().IsTag():
			info.Ref = &result.GitRef{Tag: head.Name().Short()}
		}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return info, key, fmt.Errorf("open work tree %s: %w", repoRoot, err)
	}
	st, err := wt.Status()
	if err != nil {
		return info, key, fmt.Errorf("git status of %s: %w", repoRoot, err)
	}
	info.Dirty = !st.IsClean()
	return info, key, nil
}

var scpLike = regexp.MustCompile(`^(?:([^@/]+)@)?([^:/]+):(.*)$`)

// ParseURL parses a git URL; the scp form user@host:path becomes
// ssh://user@host/path.
func ParseURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		if m := scpLike.FindStringSubmatch(s); m != nil {
			u := &url.URL{Scheme: "ssh", Host: m[2], Path: "/" + strings.TrimPrefix(m[3], "/")}
			if m[1] != "" {
				u.User = url.User(m[1])
			}
			return u, nil
		}
		return nil, fmt.Errorf("invalid git url %q", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid git url: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid git url %q: no host", Redacted(u))
	}
	return u, nil
}

// Redacted is u as a string without a password.
func Redacted(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

var defaultPorts = map[string]string{"http": "80", "https": "443", "git": "22", "git+ssh": "22", "ssh": "22", "ftp": "21", "rsync": "873"}

// RepoKey is the normalised key of a repository, "git://host/path": host
// and path lower-cased, a trailing .git and / removed, the scheme's
// default port dropped. Clones over https and ssh give the same key.
func RepoKey(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && defaultPorts[u.Scheme] != p {
		host += ":" + p
	}
	p := strings.ToLower(u.Path)
	p = strings.TrimSuffix(p, "/")
	if strings.HasSuffix(p, ".git") && !strings.HasSuffix(p, "/.git") {
		p = strings.TrimSuffix(p, ".git")
	}
	p = strings.Trim(p, "/")
	if host == "" && p == "" {
		return ""
	}
	return "git://" + host + "/" + p
}
