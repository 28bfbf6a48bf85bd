package kustomize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// OutsideRootError reports a path that kustomize tried to use outside the
// project root.
type OutsideRootError struct {
	// Path is the path kustomize asked for.
	Path string
	// Root is the project root.
	Root string
}

func (e *OutsideRootError) Error() string {
	return fmt.Sprintf("%s is outside of %s; kustomize may only use files of the rendered deployment items", e.Path, e.Root)
}

// rootFS is a read-only view of the disk below root, with optional
// in-memory files (the generated kustomization) laid over it.
type rootFS struct {
	disk filesys.FileSystem
	// root is absolute with symlinks resolved.
	root string
	// overlay maps absolute paths to in-memory file contents.
	overlay map[string][]byte
	// source is the folder root mirrors (the repository); "" if none.
	source string
}

var _ filesys.FileSystem = (*rootFS)(nil)

func newRootFS(root string, overlay map[string][]byte) (*rootFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("project root: %w", err)
	}
	return &rootFS{disk: filesys.MakeFsOnDisk(), root: resolved, overlay: overlay}, nil
}

// NotRenderedError is a path kustomize needs that exists in the repository
// but not in the rendered tree: a folder that is not a deployment item.
type NotRenderedError struct {
	// Path is the path in the repository.
	Path string
	Err  error
}

func (e *NotRenderedError) Error() string {
	return fmt.Sprintf("%s exists in the repository but is not part of a rendered deployment item; kustomize only sees the folders of deployment items: add the folder as a deployment item with onlyRender: true", e.Path)
}

func (e *NotRenderedError) Unwrap() error { return e.Err }

// explain turns a not-found error for p into a NotRenderedError when p
// exists in the source the tree mirrors.
func (f *rootFS) explain(p string, err error) error {
	if err == nil || f.source == "" || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	abs, aerr := filepath.Abs(p)
	if aerr != nil {
		return err
	}
	rel, rerr := filepath.Rel(f.root, abs)
	if rerr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return err
	}
	src := filepath.Join(f.source, rel)
	if _, serr := os.Stat(src); serr == nil {
		return &NotRenderedError{Path: src, Err: err}
	}
	return err
}

// resolve returns the absolute path with symlinks resolved as far as the
// path exists, or an *OutsideRootError.
func (f *rootFS) resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	// Resolve the longest existing prefix, keep the rest as is.
	rest := ""
	cur := abs
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			abs = filepath.Join(r, rest)
			break
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			break
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
	rel, err := filepath.Rel(f.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", &OutsideRootError{Path: p, Root: f.root}
	}
	return abs, nil
}

func (f *rootFS) overlaid(p string) ([]byte, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, false
	}
	data, ok := f.overlay[abs]
	return data, ok
}

func readOnly(op, p string) error {
	return &fs.PathError{Op: op, Path: p, Err: errors.New("the project is read-only during kustomize build")}
}

// Create refuses to write.
func (f *rootFS) Create(p string) (filesys.File, error) { return nil, readOnly("create", p) }

// Mkdir refuses to write.
func (f *rootFS) Mkdir(p string) error { return readOnly("mkdir", p) }

// MkdirAll refuses to write.
func (f *rootFS) MkdirAll(p string) error { return readOnly("mkdir", p) }

// RemoveAll refuses to write.
func (f *rootFS) RemoveAll(p string) error { return readOnly("remove", p) }

// WriteFile refuses to write.
func (f *rootFS) WriteFile(p string, _ []byte) error { return readOnly("write", p) }

// Open opens a file below root.
func (f *rootFS) Open(p string) (filesys.File, error) {
	if _, ok := f.overlaid(p); ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("generated file can only be read with ReadFile")}
	}
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	file, err := f.disk.Open(r)
	return file, f.explain(p, err)
}

// IsDir reports whether p is a folder below root.
func (f *rootFS) IsDir(p string) bool {
	if _, ok := f.overlaid(p); ok {
		return false
	}
	r, err := f.resolve(p)
	return err == nil && f.disk.IsDir(r)
}

// ReadDir lists a folder below root, including overlaid files.
func (f *rootFS) ReadDir(p string) ([]string, error) {
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	names, err := f.disk.ReadDir(r)
	if err != nil {
		return nil, f.explain(p, err)
	}
	abs, _ := filepath.Abs(p)
	for o := range f.overlay {
		if filepath.Dir(o) == abs {
			names = append(names, filepath.Base(o))
		}
	}
	return names, nil
}

// CleanedAbs returns the confirmed folder and file name of p below root.
func (f *rootFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if _, ok := f.overlaid(p); ok {
		abs, _ := filepath.Abs(p)
		dir, err := f.resolve(filepath.Dir(abs))
		if err != nil {
			return "", "", err
		}
		return filesys.ConfirmedDir(dir), filepath.Base(abs), nil
	}
	if _, err := f.resolve(p); err != nil {
		return "", "", err
	}
	d, name, err := f.disk.CleanedAbs(p)
	if err != nil {
		return "", "", f.explain(p, err)
	}
	if _, err := f.resolve(filepath.Join(string(d), name)); err != nil {
		return "", "", err
	}
	return d, name, nil
}

// Exists reports whether p exists below root.
func (f *rootFS) Exists(p string) bool {
	if _, ok := f.overlaid(p); ok {
		return true
	}
	r, err := f.resolve(p)
	return err == nil && f.disk.Exists(r)
}

// Glob matches files below root.
func (f *rootFS) Glob(pattern string) ([]string, error) {
	matches, err := f.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var inside []string
	for _, m := range matches {
		if _, err := f.resolve(m); err == nil {
			inside = append(inside, m)
		}
	}
	return inside, nil
}

// ReadFile reads a file below root or an overlaid file.
func (f *rootFS) ReadFile(p string) ([]byte, error) {
	if data, ok := f.overlaid(p); ok {
		return append([]byte(nil), data...), nil
	}
	r, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(r)
	return data, f.explain(p, err)
}

// Walk walks a folder below root.
func (f *rootFS) Walk(p string, walkFn filepath.WalkFunc) error {
	r, err := f.resolve(p)
	if err != nil {
		return err
	}
	return f.disk.Walk(r, walkFn)
}
