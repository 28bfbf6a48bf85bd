package render

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// ignoreMatcher answers whether a file of the project is excluded from
// templating by .templateignore files (gitignore syntax) or templateExcludes.
type ignoreMatcher struct {
	patterns []gitignore.Pattern
}

// newIgnoreMatcher reads every .templateignore from the repository root
// down to dir, plus the given extra patterns (templateExcludes, relative to
// the project folder projectDir).
func newIgnoreMatcher(root, projectDir, dir string, extra []string) (*ignoreMatcher, error) {
	m := &ignoreMatcher{}
	var extraDomain []string
	if rel, err := filepath.Rel(root, projectDir); err == nil && rel != "." {
		extraDomain = strings.Split(filepath.ToSlash(rel), "/")
	}
	for _, p := range extra {
		m.patterns = append(m.patterns, gitignore.ParsePattern(p, extraDomain))
	}
	relDir, err := filepath.Rel(root, dir)
	if err != nil {
		return nil, err
	}
	if relDir == ".." || strings.HasPrefix(relDir, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("folder %s is outside of the repository %s", dir, root)
	}
	var domain []string
	dirs := []string{root}
	if relDir != "." {
		cur := root
		for _, part := range strings.Split(filepath.ToSlash(relDir), "/") {
			cur = filepath.Join(cur, part)
			dirs = append(dirs, cur)
		}
	}
	for i, d := range dirs {
		if i > 0 {
			domain = append(domain, filepath.Base(d))
		}
		if err := m.addFile(filepath.Join(d, ".templateignore"), append([]string(nil), domain...)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// addDir reads the .templateignore of a sub-folder met while walking.
func (m *ignoreMatcher) addDir(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." {
		return err
	}
	return m.addFile(filepath.Join(dir, ".templateignore"), strings.Split(filepath.ToSlash(rel), "/"))
}

func (m *ignoreMatcher) addFile(path string, domain []string) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m.patterns = append(m.patterns, gitignore.ParsePattern(line, domain))
	}
	return sc.Err()
}

// ignored tells whether the file at rel (slash path relative to the root)
// is excluded.
func (m *ignoreMatcher) ignored(rel string, isDir bool) bool {
	if len(m.patterns) == 0 {
		return false
	}
	return gitignore.NewMatcher(m.patterns).Match(strings.Split(rel, "/"), isDir)
}
