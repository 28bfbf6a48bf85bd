package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// TargetRepo is a git repository that dynamic targets list the branches
// and tags of and read target config files from, without a checkout.
type TargetRepo interface {
	// Refs returns the full names of the branches and tags:
	// refs/heads/<branch> and refs/tags/<tag>.
	Refs(ctx context.Context) ([]string, error)
	// DefaultBranch returns the name of the default branch, used when
	// targetConfig has a project but neither ref nor refPattern.
	DefaultBranch(ctx context.Context) (string, error)
	// ReadFile returns the file at p (slash separated, relative to the
	// repository root) in the commit ref (a name Refs returned) points
	// to; an error wrapping fs.ErrNotExist when there is none.
	ReadFile(ctx context.Context, ref, p string) ([]byte, error)
}

// GitTargetRepo is a TargetRepo over a go-git repository: a work tree, a
// bare mirror or an in-memory clone. Its branches are the local branches
// and the remote-tracking branches of origin (refs/remotes/origin/x is
// listed as refs/heads/x; a local branch of the same name wins).
type GitTargetRepo struct {
	Repo *git.Repository
}

// Refs implements TargetRepo.
func (g GitTargetRepo) Refs(ctx context.Context) ([]string, error) {
	iter, err := g.Repo.References()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		n := r.Name()
		switch {
		case n.IsBranch(), n.IsTag():
			seen[n.String()] = true
		case strings.HasPrefix(n.String(), "refs/remotes/origin/") && r.Type() == plumbing.HashReference:
			b := strings.TrimPrefix(n.String(), "refs/remotes/origin/")
			if b != "HEAD" {
				seen["refs/heads/"+b] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// DefaultBranch implements TargetRepo: the branch origin/HEAD points to,
// else the branch HEAD points to, else main or master.
func (g GitTargetRepo) DefaultBranch(ctx context.Context) (string, error) {
	branchOf := func(n plumbing.ReferenceName) string {
		if n.IsBranch() {
			return n.Short()
		}
		return strings.TrimPrefix(n.String(), "refs/remotes/origin/")
	}
	if r, err := g.Repo.Reference(plumbing.NewRemoteHEADReferenceName("origin"), false); err == nil {
		if r.Type() == plumbing.SymbolicReference {
			return branchOf(r.Target()), nil
		}
		// A fetched HEAD is a commit: the branch at that commit.
		refs, err := g.Refs(ctx)
		if err != nil {
			return "", err
		}
		for _, name := range refs {
			if h, err := g.resolve(name); err == nil && h == r.Hash() && strings.HasPrefix(name, "refs/heads/") {
				return strings.TrimPrefix(name, "refs/heads/"), nil
			}
		}
	}
	if r, err := g.Repo.Reference(plumbing.HEAD, false); err == nil && r.Type() == plumbing.SymbolicReference {
		if _, err := g.resolve(r.Target().String()); err == nil {
			return branchOf(r.Target()), nil
		}
	}
	for _, b := range []string{"main", "master"} {
		if _, err := g.resolve("refs/heads/" + b); err == nil {
			return b, nil
		}
	}
	return "", errors.New("no default branch found; set targetConfig.ref")
}

// ReadFile implements TargetRepo.
func (g GitTargetRepo) ReadFile(ctx context.Context, ref, p string) ([]byte, error) {
	h, err := g.resolve(ref)
	if err != nil {
		return nil, err
	}
	c, err := g.Repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("commit of %s: %w", ref, err)
	}
	f, err := c.File(path.Clean(p))
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	s, err := f.Contents()
	return []byte(s), err
}

// resolve returns the commit a branch or tag points to.
func (g GitTargetRepo) resolve(ref string) (plumbing.Hash, error) {
	names := []plumbing.ReferenceName{plumbing.ReferenceName(ref)}
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		names = append(names, plumbing.NewRemoteReferenceName("origin", b))
	}
	for _, n := range names {
		r, err := g.Repo.Reference(n, true)
		if err != nil {
			continue
		}
		h := r.Hash()
		if t, err := g.Repo.TagObject(h); err == nil {
			c, err := t.Commit()
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("tag %s: %w", ref, err)
			}
			h = c.Hash
		}
		return h, nil
	}
	return plumbing.ZeroHash, fmt.Errorf("ref %s not found", ref)
}

// OpenGitTargetRepo opens the repository of dynamic targets for the
// command line: url "" is the git work tree holding repoRoot (paths given
// to ReadFile are relative to repoRoot); a local path or file:// URL is
// opened in place; any other URL is fetched into memory (branches, tags
// and HEAD) with go-git's default credentials (the ssh agent). The GitOps
// controller sets LoadOptions.OpenTargetRepo instead and serves refs and
// files from its git cache.
func OpenGitTargetRepo(ctx context.Context, repoRoot, rawURL string) (TargetRepo, error) {
	if rawURL == "" {
		repo, err := git.PlainOpenWithOptions(repoRoot, &git.PlainOpenOptions{DetectDotGit: true})
		if err != nil {
			return nil, fmt.Errorf("ref and refPattern without project.url use the branches and tags of the project's git repository, but %s is not in a git work tree", repoRoot)
		}
		wt, err := repo.Worktree()
		if err != nil {
			return nil, fmt.Errorf("ref and refPattern without project.url need the project's git work tree: %w", err)
		}
		rel, err := filepath.Rel(wt.Filesystem.Root(), repoRoot)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("repository root %s is outside the git work tree %s", repoRoot, wt.Filesystem.Root())
		}
		if rel == "." {
			return GitTargetRepo{Repo: repo}, nil
		}
		return subdirRepo{TargetRepo: GitTargetRepo{Repo: repo}, prefix: filepath.ToSlash(rel)}, nil
	}
	if dir, ok := localRepoPath(rawURL); ok {
		repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
		if err != nil {
			return nil, fmt.Errorf("open git repository %s: %w", rawURL, err)
		}
		return GitTargetRepo{Repo: repo}, nil
	}
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	remote, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{rawURL}})
	if err != nil {
		return nil, err
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin", Tags: git.AllTags,
		RefSpecs: []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	if refs, err := remote.ListContext(ctx, &git.ListOptions{}); err == nil {
		for _, r := range refs {
			if r.Name() == plumbing.HEAD && r.Type() == plumbing.SymbolicReference {
				_ = repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.NewRemoteHEADReferenceName("origin"), r.Target()))
			}
		}
	}
	return GitTargetRepo{Repo: repo}, nil
}

// localRepoPath returns the folder of a local repository URL: an absolute
// path or a file:// URL.
func localRepoPath(s string) (string, bool) {
	if filepath.IsAbs(s) {
		return s, true
	}
	if u, err := url.Parse(s); err == nil && u.Scheme == "file" {
		return filepath.FromSlash(u.Path), true
	}
	return "", false
}

// subdirRepo reads the files of a repository below a folder of its work
// tree.
type subdirRepo struct {
	TargetRepo
	prefix string
}

// ReadFile implements TargetRepo.
func (s subdirRepo) ReadFile(ctx context.Context, ref, p string) ([]byte, error) {
	return s.TargetRepo.ReadFile(ctx, ref, path.Join(s.prefix, p))
}
