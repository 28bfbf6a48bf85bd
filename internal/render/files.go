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
	// sealed holds the encrypted content of the files that were
	// decrypted (see decryptFiles).
	sealed map[string][]byte
}

// reseal writes the encrypted content of decrypted files below dir again,
// so that the render output never holds decrypted values.
func (r *renderedFiles) reseal(dir string) error {
	for name, data := range r.sealed {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
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
// memory. Files excluded by .templateignore are kept as they are. Symlinks
// are followed (to files and folders) as long as they stay inside the
// repository; a symlink that leaves it is an error.
func renderItemFiles(ctx context.Context, p *project.Project, it *project.Item) (*renderedFiles, error) {
	root, projectDir := sourceRoot(p, it), p.Root
	if it.SourceID != "" {
		projectDir = root
	}
	ign, err := newIgnoreMatcher(root, projectDir, it.Dir, it.TemplateExcludes)
	if err != nil {
		return nil, err
	}
	w := &itemWalker{
		ctx: ctx, p: p, it: it, ign: ign,
		hasChart: fileExists(filepath.Join(it.Dir, "helm-chart.yml")) || fileExists(filepath.Join(it.Dir, "helm-chart.yaml")),
		out:      &renderedFiles{files: map[string][]byte{}},
		visiting: map[string]bool{},
	}
	real, err := filepath.EvalSymlinks(it.Dir)
	if err != nil {
		return nil, err
	}
	if err := w.walkDir(it.Dir, real, "", false); err != nil {
		return nil, err
	}
	return w.out, nil
}

// itemWalker walks an item folder, following symlinks inside the
// repository.
type itemWalker struct {
	ctx      context.Context
	p        *project.Project
	it       *project.Item
	ign      *ignoreMatcher
	hasChart bool
	out      *renderedFiles
	// visiting holds the real paths of the folders being walked, to stop
	// symlink cycles.
	visiting map[string]bool
}

// walkDir walks the folder at the logical path dir (below the item folder,
// as users see it), whose real path is real; relItem is dir relative to the
// item folder ("" for the item folder).
//
// Helm charts (folders with a Chart.yaml) are copied as they are, never
// templated, as in the original; raw says the folder is inside one.
func (w *itemWalker) walkDir(dir, real, relItem string, raw bool) error {
	raw = raw || fileExists(filepath.Join(dir, "Chart.yaml"))
	if w.visiting[real] {
		return fmt.Errorf("%s: symlink cycle", w.relRepo(dir))
	}
	w.visiting[real] = true
	defer delete(w.visiting, real)
	if err := w.ign.addDir(sourceRoot(w.p, w.it), dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(dir, e.Name())
		rel := e.Name()
		if relItem != "" {
			rel = relItem + "/" + e.Name()
		}
		isDir := e.IsDir()
		target := path
		if e.Type()&fs.ModeSymlink != 0 {
			resolved, st, err := w.followSymlink(path)
			if err != nil {
				return err
			}
			target, isDir = resolved, st.IsDir()
		} else if !isDir && !e.Type().IsRegular() {
			continue // sockets, devices, pipes
		}
		if isDir {
			if skippedDirs[e.Name()] || (w.hasChart && rel == "charts") {
				continue
			}
			w.out.dirs = append(w.out.dirs, rel)
			if err := w.walkDir(path, target, rel, raw); err != nil {
				return err
			}
			continue
		}
		if e.Name() == ".templateignore" {
			continue
		}
		if err := w.renderFile(path, target, rel, raw); err != nil {
			return err
		}
	}
	return nil
}

// followSymlink resolves a symlink met in an item folder; it must point to
// an existing file or folder inside the repository.
func (w *itemWalker) followSymlink(path string) (string, os.FileInfo, error) {
	link, _ := os.Readlink(path)
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: symlink to %s can not be followed: %w", w.relRepo(path), link, err)
	}
	root := sourceRoot(w.p, w.it)
	if resolved != root && !strings.HasPrefix(resolved, root+string(filepath.Separator)) {
		return "", nil, fmt.Errorf("%s is a symlink to %s, which is outside of the repository %s; kluctl only follows symlinks that stay inside the repository holding the project (copy the files into the repository instead)", w.relRepo(path), resolved, root)
	}
	st, err := os.Stat(resolved)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", w.relRepo(path), err)
	}
	return resolved, st, nil
}

func (w *itemWalker) renderFile(path, real, relItem string, raw bool) error {
	relRepo := w.relRepo(path)
	projectDir := w.p.Root
	if w.it.SourceID != "" {
		projectDir = w.it.SourceRoot
	}
	relRoot, _ := filepath.Rel(projectDir, path)
	relRoot = filepath.ToSlash(relRoot)
	data, err := os.ReadFile(real)
	if err != nil {
		return fmt.Errorf("%s: %w", relRepo, err)
	}
	if !raw && !w.ign.ignored(relRepo, false) {
		s, err := w.p.Templates.RenderString(w.ctx, relRoot, string(data), w.p.Templates.SearchDirsFor(filepath.Dir(path)), w.it.Vars)
		if err != nil {
			return fmt.Errorf("render %s: %w", relRoot, err)
		}
		data = []byte(s)
	}
	w.out.files[relItem] = data
	return nil
}

func (w *itemWalker) relRepo(path string) string {
	rel, err := filepath.Rel(sourceRoot(w.p, w.it), path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
