package render

import (
	"path/filepath"
	"strings"
)

// pathError is an error whose message names project files instead of the
// scratch copies Helm and Kustomize worked on.
type pathError struct {
	msg string
	err error
}

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return e.err }

// sourcePaths rewrites paths below the scratch tree in err's message to the
// matching paths below the repository root (the tree mirrors the
// repository layout, and its parent the repository's parent), so that
// users are pointed at their own files, never at scratch folders.
func sourcePaths(err error, tree, repoRoot string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	parent := filepath.Dir(tree)
	if !strings.Contains(msg, parent) {
		return err
	}
	msg = strings.ReplaceAll(msg, tree, repoRoot)
	msg = strings.ReplaceAll(msg, parent, filepath.Dir(repoRoot))
	return &pathError{msg: msg, err: err}
}
