package gitserver

import (
	"fmt"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// DeleteBranch removes branch from repository name, as a push deleting
// the branch would; the commits stay until git collects them.
func (s *Server) DeleteBranch(name, branch string) error {
	repo, err := git.PlainOpen(filepath.Join(s.root, name+".git"))
	if err != nil {
		return fmt.Errorf("open repository %s: %w", name, err)
	}
	ref := plumbing.NewBranchReferenceName(branch)
	if _, err := repo.Reference(ref, false); err != nil {
		return fmt.Errorf("branch %s of %s: %w", branch, name, err)
	}
	return repo.Storer.RemoveReference(ref)
}

// Tag points the lightweight tag of repository name at commit.
func (s *Server) Tag(name, tag, commit string) error {
	repo, err := git.PlainOpen(filepath.Join(s.root, name+".git"))
	if err != nil {
		return fmt.Errorf("open repository %s: %w", name, err)
	}
	return repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewTagReferenceName(tag), plumbing.NewHash(commit)))
}
