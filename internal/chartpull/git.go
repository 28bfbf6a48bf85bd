package chartpull

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// gitInfoFile records where a git chart came from, as the original does.
const gitInfoFile = ".git-info.yaml"

// fetchGit copies the chart folder of a git chart into dir.
func (p *Puller) fetchGit(ctx context.Context, cfg *helm.Config, dir string) error {
	if p.opts.FetchGit == nil {
		return errors.New("git charts can not be pulled here (no git cache configured)")
	}
	var ref *project.GitRef
	if r := cfg.Git.Ref; r != nil {
		ref = &project.GitRef{Branch: r.Branch, Tag: r.Tag, Commit: r.Commit, Name: r.Legacy}
	}
	src, release, err := p.opts.FetchGit(ctx, cfg.Git.URL, ref)
	if err != nil {
		return err
	}
	defer release()
	root, err := filepath.EvalSymlinks(src.Dir)
	if err != nil {
		return err
	}
	from := filepath.Join(root, filepath.FromSlash(cfg.Git.SubDir))
	if from != root && !strings.HasPrefix(from, root+string(filepath.Separator)) {
		return fmt.Errorf("git.subDir %q leaves the repository", cfg.Git.SubDir)
	}
	if err := copyTree(from, dir, root); err != nil {
		return err
	}
	info, err := yaml.Marshal(map[string]any{"url": src.URL, "ref": cfg.Git.Ref.String(), "commit": src.Commit})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, gitInfoFile), info, 0o644)
}

// copyTree copies the regular files and folders below from into to;
// symlinks are followed only when they stay inside root.
func copyTree(from, to, root string) error {
	return filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if rel == ".git" {
			return filepath.SkipDir
		}
		dst := filepath.Join(to, rel)
		real := p
		if d.Type()&os.ModeSymlink != 0 {
			if real, err = filepath.EvalSymlinks(p); err != nil {
				return err
			}
			if !strings.HasPrefix(real, root+string(filepath.Separator)) {
				return fmt.Errorf("%s is a symlink out of the repository", rel)
			}
		}
		st, err := os.Stat(real)
		if err != nil {
			return err
		}
		if st.IsDir() {
			if real != p {
				return copyTree(real, dst, root)
			}
			return os.MkdirAll(dst, 0o755)
		}
		in, err := os.Open(real)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		return err
	})
}
