package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// outputManifest lists, in a render output folder, the files the last
// render wrote there, so that the next render may replace (and remove)
// them and nothing else.
const outputManifest = ".kluctl-rendered.json"

// WriteOutputDir copies the rendered tree into dir (--render-output-dir)
// without ever losing what it did not write:
//
//   - a dir that exists and is not a folder is an error, and left alone;
//   - files the previous render wrote there (listed in
//     .kluctl-rendered.json) are replaced, or removed when no longer
//     rendered;
//   - any other file at a path the render wants to write (the folder is
//     the project itself, or holds other content) is an error naming the
//     files, and nothing is written at all.
func WriteOutputDir(tree, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("render output dir %s exists and is not a folder; it was left alone", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("render output dir %s: %w", dir, err)
	}
	files, err := treeFiles(tree)
	if err != nil {
		return fmt.Errorf("render output dir: %w", err)
	}
	previous := readManifest(dir)
	if err := checkConflicts(dir, files, previous); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create render output dir: %w", err)
	}
	written := map[string]bool{}
	for _, rel := range files {
		if err := copyInto(filepath.Join(tree, rel), filepath.Join(dir, rel)); err != nil {
			return fmt.Errorf("write render output %s: %w", filepath.Join(dir, rel), err)
		}
		written[rel] = true
	}
	for rel := range previous {
		if !written[rel] {
			_ = os.Remove(filepath.Join(dir, rel))
			removeEmptyParents(dir, filepath.Dir(filepath.Join(dir, rel)))
		}
	}
	return writeManifest(dir, files)
}

// treeFiles lists the regular files below tree as relative paths.
func treeFiles(tree string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(tree, p)
		if err != nil {
			return err
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

// checkConflicts fails when a file the render wants to write exists in dir
// and was not written by the previous render, or when a folder is needed
// where a foreign file is.
func checkConflicts(dir string, files []string, previous map[string]bool) error {
	var conflicts []string
	for _, rel := range files {
		target := filepath.Join(dir, rel)
		if st, err := os.Lstat(target); err == nil {
			if st.IsDir() || !previous[rel] {
				conflicts = append(conflicts, rel)
			}
			continue
		}
		// every parent must be a folder (or missing)
		for p := filepath.Dir(rel); p != "." && p != string(filepath.Separator); p = filepath.Dir(p) {
			if st, err := os.Lstat(filepath.Join(dir, p)); err == nil && !st.IsDir() {
				conflicts = append(conflicts, p)
				break
			}
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	shown := conflicts
	if len(shown) > 5 {
		shown = shown[:5]
	}
	more := ""
	if len(conflicts) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(conflicts)-len(shown))
	}
	return fmt.Errorf("render output dir %s already holds files that kluctl did not write (%s%s); nothing was written: choose an empty or new folder", dir, strings.Join(shown, ", "), more)
}

func readManifest(dir string) map[string]bool {
	out := map[string]bool{}
	data, err := os.ReadFile(filepath.Join(dir, outputManifest))
	if err != nil {
		return out
	}
	var list []string
	if json.Unmarshal(data, &list) != nil {
		return out
	}
	for _, rel := range list {
		c := filepath.Clean(filepath.FromSlash(rel))
		if !filepath.IsAbs(c) && c != ".." && !strings.HasPrefix(c, ".."+string(filepath.Separator)) {
			out[c] = true
		}
	}
	return out
}

func writeManifest(dir string, files []string) error {
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = filepath.ToSlash(f)
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, outputManifest), append(data, '\n'), 0o644)
}

// copyInto writes src to dst through a temporary file and a rename, so
// that dst is never half-written.
func copyInto(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".kluctl-tmp-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// removeEmptyParents removes empty folders from p up to (not including)
// root.
func removeEmptyParents(root, p string) {
	for p != root && strings.HasPrefix(p, root+string(filepath.Separator)) {
		if os.Remove(p) != nil {
			return
		}
		p = filepath.Dir(p)
	}
}
