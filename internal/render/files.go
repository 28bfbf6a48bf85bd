package render

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kluctl-go/kluctl/internal/project"
)

// skippedDirs are never rendered as part of an item.
var skippedDirs = map[string]bool{".git": true, ".helm-charts": true}

// renderedFiles is an item folder after templating: slash paths relative to
// the item folder and their content.
type renderedFiles struct {
	files map[string][]byte
	dirs  []string
}

// topLevel returns the files directly in the item folder.
func (r *renderedFiles) topLevel() map[string][]byte {
	out := map[string][]byte{}
	for name, data := range r.files {
		if !strings.Contains(name, "/") {
			out[name] = data
		}
	}
	return out
}

// write puts the files below dir.
func (r *renderedFiles) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range r.dirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
	}
	for name, data := range r.files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// renderItemFiles renders every file of the item folder as a template, in
// memory. Files excluded by .templateignore are kept as they are.
func renderItemFiles(ctx context.Context, p *project.Project, it *project.Item) (*renderedFiles, error) {
	ign, err := newIgnoreMatcher(p.Root, it.Dir, it.TemplateExcludes)
	if err != nil {
		return nil, err
	}
	hasChart := fileExists(filepath.Join(it.Dir, "helm-chart.yml")) || fileExists(filepath.Join(it.Dir, "helm-chart.yaml"))
	out := &renderedFiles{files: map[string][]byte{}}
	err = filepath.WalkDir(it.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		relItem, _ := filepath.Rel(it.Dir, path)
		relItem = filepath.ToSlash(relItem)
		relRoot, _ := filepath.Rel(p.Root, path)
		relRoot = filepath.ToSlash(relRoot)
		if d.IsDir() {
			if path != it.Dir && (skippedDirs[d.Name()] || (hasChart && relItem == "charts")) {
				return filepath.SkipDir
			}
			if path != it.Dir {
				out.dirs = append(out.dirs, relItem)
			}
			return ign.addDir(p.Root, path)
		}
		if d.Name() == ".templateignore" {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			resolved, err := filepath.EvalSymlinks(path)
			if err != nil {
				return fmt.Errorf("%s: %w", relRoot, err)
			}
			if resolved != p.Root && !strings.HasPrefix(resolved, p.Root+string(filepath.Separator)) {
				return fmt.Errorf("%s: symlink points outside of the project folder", relRoot)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !ign.ignored(relRoot, false) {
			s, err := p.Templates.RenderString(ctx, relRoot, string(data), p.Templates.SearchDirsFor(filepath.Dir(path)), it.Vars)
			if err != nil {
				return fmt.Errorf("render %s: %w", relRoot, err)
			}
			data = []byte(s)
		}
		out.files[relItem] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
