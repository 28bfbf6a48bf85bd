package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkInside fails unless path, with symlinks resolved, is root or below
// it. root must already be resolved.
func checkInside(root, path string) error {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		if os.IsNotExist(err) {
			resolved = filepath.Clean(path)
		} else {
			return err
		}
	}
	if !isInside(root, resolved) {
		return fmt.Errorf("%s is outside of the repository %s; only files inside the repository that holds the project can be used", path, root)
	}
	return nil
}

// isInside tells whether path is root or below it (both cleaned).
func isInside(root, path string) bool {
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

// isGitWorkTree tells whether dir holds .git.
func isGitWorkTree(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".git"))
	return err == nil
}

// joinInside joins rel to dir and checks the result stays in root.
func joinInside(root, dir, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("%q must be a relative path", rel)
	}
	p := filepath.Join(dir, rel)
	if err := checkInside(root, p); err != nil {
		return "", err
	}
	return p, nil
}

// findGitRoot returns the closest folder at or above dir holding .git, or
// "" when there is none.
func findGitRoot(dir string) string {
	d := dir
	for {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}
