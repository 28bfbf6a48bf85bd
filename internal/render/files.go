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

// renderItemFiles renders every file of the item folder into outDir, keeping
// the layout. Files excluded by .templateignore are copied as they are.
func renderItemFiles(ctx context.Context, p *project.Project, it *project.Item, outDir string) error {
	ign, err := newIgnoreMatcher(p.Root, it.Dir, it.TemplateExcludes)
	if err != nil {
		return err
	}
	hasChart := fileExists(filepath.Join(it.Dir, "helm-chart.yml")) || fileExists(filepath.Join(it.Dir, "helm-chart.yaml"))
	return filepath.WalkDir(it.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		relItem, _ := filepath.Rel(it.Dir, path)
		relRoot, _ := filepath.Rel(p.Root, path)
		relRoot = filepath.ToSlash(relRoot)
		target := filepath.Join(outDir, relItem)
		if d.IsDir() {
			if path != it.Dir && (skippedDirs[d.Name()] || (hasChart && relItem == "charts")) {
				return filepath.SkipDir
			}
			if err := ign.addDir(p.Root, path); err != nil {
				return err
			}
			return os.MkdirAll(target, 0o755)
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
		out := string(data)
		if !ign.ignored(relRoot, false) {
			out, err = p.Templates.RenderString(ctx, relRoot, out, p.Templates.SearchDirsFor(filepath.Dir(path)), it.Vars)
			if err != nil {
				return fmt.Errorf("render %s: %w", relRoot, err)
			}
		}
		return os.WriteFile(target, []byte(out), 0o644)
	})
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
