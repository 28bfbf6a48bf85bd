package helmupdate

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"

	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// worktree is the git work tree holding the project, for --commit.
type worktree struct {
	wt *git.Worktree
	// dir is the project folder as given; projRel its path in the work
	// tree (slash, "." for the root).
	dir, projRel string
}

// openWorktree opens the git work tree that holds the project folder dir.
func openWorktree(dir string) (*worktree, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("--commit needs the project in a git work tree: %s: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("--commit needs the project in a git work tree: %w", err)
	}
	root, err := filepath.EvalSymlinks(wt.Filesystem.Root())
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, real)
	if err != nil {
		return nil, err
	}
	return &worktree{wt: wt, dir: dir, projRel: filepath.ToSlash(rel)}, nil
}

// toRepo returns the path in the work tree of p, a path below the project.
func (w *worktree) toRepo(p string) string {
	return path.Join(w.projRel, relPath(w.dir, p))
}

// under tells whether the work tree path p is dir or below it.
func under(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// checkClean fails, as the original does, when the work tree has changes
// other than untracked files, or any file below the project's
// .helm-charts differs from the last commit (untracked ones too).
func (w *worktree) checkClean() error {
	st, err := w.wt.Status()
	if err != nil {
		return fmt.Errorf("git status: %w", err)
	}
	charts := w.toRepo(filepath.Join(w.dir, helm.ChartsDirName))
	paths := make([]string, 0, len(st))
	for p := range st {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		s := st[p]
		if under(p, charts) && (s.Staging != git.Unmodified || s.Worktree != git.Unmodified) {
			return fmt.Errorf("--commit can only be used when the .helm-charts directory is clean (%s has changes)", p)
		}
		if (s.Staging != git.Untracked && s.Staging != git.Unmodified) || (s.Worktree != git.Untracked && s.Worktree != git.Unmodified) {
			return fmt.Errorf("--commit can only be used when the git worktree is unmodified (%s has changes)", p)
		}
	}
	return nil
}

// commit stages the helm-chart.yaml files and every change below
// versionsDir (the chart's folder in .helm-charts: the new version added,
// the old one removed) and commits them with msg. The author comes from
// the git configuration, as in the original.
func (w *worktree) commit(msg string, files []string, versionsDir string) error {
	st, err := w.wt.Status()
	if err != nil {
		return fmt.Errorf("git status: %w", err)
	}
	for _, f := range files {
		if _, err := w.wt.Add(w.toRepo(f)); err != nil {
			return fmt.Errorf("git add %s: %w", w.toRepo(f), err)
		}
	}
	charts := w.toRepo(versionsDir)
	for p, s := range st {
		if !under(p, charts) || s.Worktree == git.Unmodified {
			continue
		}
		if s.Worktree == git.Deleted {
			_, err = w.wt.Remove(p)
		} else {
			_, err = w.wt.Add(p)
		}
		if err != nil {
			return fmt.Errorf("git add %s: %w", p, err)
		}
	}
	if _, err := w.wt.Commit(msg, &git.CommitOptions{}); err != nil {
		return err
	}
	return nil
}
