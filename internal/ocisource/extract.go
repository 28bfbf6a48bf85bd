package ocisource

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// limits bound what untar writes.
type limits struct {
	bytes int64
	files int
}

// untar unpacks the gzipped tar r into dir (created), as the original
// does: regular files and folders only, symlinks and other entries are
// skipped. Entries whose path leaves dir are refused, and so are archives
// beyond lim.
func untar(r io.Reader, dir string, lim limits) error {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return errors.New("the content layer is not a gzipped tar archive")
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return err
	}
	defer gz.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	var written int64
	files := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if files++; files > lim.files {
			return fmt.Errorf("more than %d entries", lim.files)
		}
		rel, err := entryPath(h.Name)
		if err != nil {
			return err
		}
		if rel == "" {
			continue // the root folder itself
		}
		target := filepath.Join(dir, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := mkdirs(dir, rel); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := mkdirs(dir, path.Dir(rel)); err != nil {
				return err
			}
			if h.Size > lim.bytes-written {
				return fmt.Errorf("more than %d bytes", lim.bytes)
			}
			n, err := writeFile(target, tr, h)
			written += n
			if err != nil {
				return err
			}
		default:
			// Symlinks, hard links, devices: never unpacked.
		}
	}
}

// entryPath cleans a tar entry name to a slash path relative to the
// archive's root; "" is the root. Absolute paths and paths leaving the
// root are errors.
func entryPath(name string) (string, error) {
	if strings.ContainsRune(name, 0) || strings.Contains(name, `\`) {
		return "", fmt.Errorf("invalid entry name %q", name)
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("entry %q has an absolute path", name)
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", nil
	}
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("entry %q leaves the archive", name)
	}
	return clean, nil
}

// mkdirs creates the folders of rel below dir, refusing to go through
// anything but folders.
func mkdirs(dir, rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	cur := dir
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case !st.IsDir():
			return fmt.Errorf("entry %q: %s is not a folder", rel, part)
		}
	}
	return nil
}

// writeFile writes the content of h to target (replacing an earlier entry
// of the same name) and returns the bytes written.
func writeFile(target string, r io.Reader, h *tar.Header) (int64, error) {
	if st, err := os.Lstat(target); err == nil && !st.Mode().IsRegular() {
		return 0, fmt.Errorf("entry %q: a folder of that name exists", h.Name)
	}
	mode := os.FileMode(0o644)
	if h.FileInfo().Mode()&0o111 != 0 {
		mode = 0o755
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(r, h.Size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
