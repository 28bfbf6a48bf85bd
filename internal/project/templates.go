package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kluctl-go/kluctl/internal/jinja2"
)

// Templates renders project files with the Jinja2 engine. Environments are
// cached per search path, so parsed imports are shared between the files of
// one folder. It is safe for concurrent use.
type Templates struct {
	root string
	// remotes are the roots of git includes' repositories (under mu).
	remotes []string
	globals map[string]any
	parsed  *jinja2.ParseCache
	mu      sync.Mutex
	envs    map[string]*jinja2.Environment
}

// NewTemplates returns a renderer for the project rooted at root.
func NewTemplates(root string) *Templates {
	return &Templates{root: root, envs: map[string]*jinja2.Environment{}, globals: map[string]any{"images": imagesGlobal()}, parsed: jinja2.NewParseCache()}
}

// SearchDirsFor returns the template search path of a file in dir: dir
// itself and every parent up to and including the project root, or, in
// the repository of a git include, up to that repository's root (a
// template never reaches into another repository).
func (t *Templates) SearchDirsFor(dir string) []string {
	root := t.root
	if r := t.RemoteRoot(dir); r != "" {
		root = r
	}
	var out []string
	d := filepath.Clean(dir)
	for {
		out = append(out, d)
		if d == root || !strings.HasPrefix(d, root+string(filepath.Separator)) {
			break
		}
		d = filepath.Dir(d)
	}
	return out
}

// AddRoot registers the root of a git include's repository.
func (t *Templates) AddRoot(root string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.remotes {
		if r == root {
			return
		}
	}
	t.remotes = append(t.remotes, root)
}

// RemoteRoot returns the root of the git include's repository holding
// dir, "" when dir is not in one.
func (t *Templates) RemoteRoot(dir string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.remotes {
		if isInside(r, dir) {
			return r
		}
	}
	return ""
}

func (t *Templates) env(searchDirs []string) (*jinja2.Environment, error) {
	key := strings.Join(searchDirs, "\x00")
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.envs[key]; ok {
		return e, nil
	}
	e, err := jinja2.NewEnvironment(jinja2.Options{Strict: true, SearchPath: searchDirs, Globals: t.globals, ParseCache: t.parsed})
	if err != nil {
		return nil, err
	}
	t.envs[key] = e
	return e, nil
}

// name returns the template name of path: relative to the project root.
func (t *Templates) name(path string) string {
	if r := t.RemoteRoot(path); r != "" {
		if rel, err := filepath.Rel(r, path); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	if rel, err := filepath.Rel(t.root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// RenderFile renders the file at path with vars.
func (t *Templates) RenderFile(ctx context.Context, path string, searchDirs []string, vars *Vars) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return t.RenderString(ctx, t.name(path), string(data), searchDirs, vars)
}

// RenderString renders source as the template called name.
func (t *Templates) RenderString(ctx context.Context, name, source string, searchDirs []string, vars *Vars) (string, error) {
	if !strings.Contains(source, "{") {
		return source, nil
	}
	e, err := t.env(searchDirs)
	if err != nil {
		return "", err
	}
	return e.RenderString(ctx, name, source, vars.Values)
}

// Condition evaluates a `when` expression; an empty expression is true.
func (t *Templates) Condition(ctx context.Context, expr string, searchDirs []string, vars *Vars) (bool, error) {
	if strings.TrimSpace(expr) == "" {
		return true, nil
	}
	out, err := t.RenderString(ctx, "when: "+expr, "{% if "+expr+" %}true{% endif %}", searchDirs, vars)
	if err != nil {
		return false, fmt.Errorf("evaluate condition %q: %w", expr, err)
	}
	return out == "true", nil
}
