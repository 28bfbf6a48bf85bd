package jinja2

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// loader finds templates in an ordered list of folders. Names are
// slash-separated; names starting with ./ or ../ are resolved relative to the
// including template. A name never resolves outside the folders, neither
// lexically nor through symlinks.
type loader struct {
	roots []string // cleaned absolute folders
	real  []string // the same folders with symlinks resolved
}

func newLoader(paths []string) (*loader, error) {
	l := &loader{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("search path %q: %w", p, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			real = abs
		}
		l.roots = append(l.roots, abs)
		l.real = append(l.real, real)
	}
	return l, nil
}

func notFound(name string) error {
	return &TemplateError{Kind: KindNotFound, Message: name}
}

func within(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// filenameFor maps a FromString name onto a file path when it names one
// under the search path.
func (l *loader) filenameFor(name string) string {
	if name == "" {
		return ""
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	clean := path.Clean(filepath.ToSlash(name))
	if strings.HasPrefix(clean, "../") || clean == ".." {
		return ""
	}
	for _, root := range l.roots {
		p := filepath.Join(root, filepath.FromSlash(clean))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// baseFor returns the file a template that is not a file resolves its
// relative includes against: its name joined to the first search folder.
func (l *loader) baseFor(name string) string {
	if len(l.roots) == 0 {
		return ""
	}
	clean := path.Clean("/" + filepath.ToSlash(name))
	return filepath.Join(l.roots[0], filepath.FromSlash(clean))
}

// resolve returns the template name and file for name as included from the
// template file fromFile ("" for none).
func (l *loader) resolve(name, fromFile string) (string, string, error) {
	if name == "" {
		return "", "", notFound(name)
	}
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") {
		base := fromFile
		if base == "" && len(l.roots) > 0 {
			base = filepath.Join(l.roots[0], "_")
		}
		cand := filepath.Join(filepath.Dir(base), filepath.FromSlash(name))
		for _, root := range l.roots {
			if rel, ok := within(root, cand); ok {
				if err := l.checkFile(cand); err != nil {
					return "", "", notFound(name)
				}
				return rel, cand, nil
			}
		}
		return "", "", &TemplateError{Kind: KindNotFound, Message: fmt.Sprintf("%s (outside of the search path)", name)}
	}
	for _, piece := range strings.Split(name, "/") {
		if piece == ".." {
			return "", "", &TemplateError{Kind: KindNotFound, Message: fmt.Sprintf("%s (outside of the search path)", name)}
		}
	}
	clean := path.Clean(strings.TrimPrefix(name, "/"))
	for _, root := range l.roots {
		cand := filepath.Join(root, filepath.FromSlash(clean))
		if _, ok := within(root, cand); !ok {
			continue
		}
		st, err := os.Stat(cand)
		if err != nil || st.IsDir() {
			continue
		}
		if err := l.checkFile(cand); err != nil {
			return "", "", err
		}
		return clean, cand, nil
	}
	return "", "", notFound(name)
}

// checkFile verifies that file exists and, with symlinks resolved, still
// lies inside one of the search folders.
func (l *loader) checkFile(file string) error {
	st, err := os.Stat(file)
	if err != nil || st.IsDir() {
		return notFound(file)
	}
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return notFound(file)
	}
	for _, root := range l.real {
		if _, ok := within(root, real); ok {
			return nil
		}
	}
	return &TemplateError{Kind: KindNotFound, Message: fmt.Sprintf("%s (symlink points outside of the search path)", file)}
}

func (l *loader) read(filename string) (string, error) {
	b, err := os.ReadFile(filename)
	if err != nil {
		return "", notFound(filename)
	}
	return string(b), nil
}
