// Package safetar unpacks gzipped tar archives from untrusted sources (OCI
// artifacts, Flux source artifacts) into a folder: nothing is written
// outside it, and the size and the number of entries are bounded.
package safetar

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

// Links says what happens to symlinks and other entries that are neither
// files nor folders.
type Links int

const (
	// SkipLinks unpacks files and folders only and skips every other entry,
	// as the original does with OCI artifacts.
	SkipLinks Links = iota
	// LinksInside keeps relative symlinks that stay inside the folder, as
	// Flux artifacts hold them, and refuses hard links, devices and other
	// special entries.
	LinksInside
)

// Options bound what Extract writes.
type Options struct {
	MaxBytes int64
	MaxFiles int
	Links    Links
}

// Extract unpacks the gzipped tar r into dir, which is created. Entries
// whose path leaves dir, absolute paths, and archives beyond the limits
// are errors; what was written until then stays for the caller to remove.
func Extract(r io.Reader, dir string, o Options) error {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return errors.New("not a gzipped tar archive")
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return err
	}
	defer gz.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	x := extractor{dir: dir, o: o, links: map[string]bool{}}
	tr := tar.NewReader(gz)
	for files := 1; ; files++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if files > o.MaxFiles {
			return fmt.Errorf("more than %d entries", o.MaxFiles)
		}
		if err := x.entry(h, tr); err != nil {
			return err
		}
	}
}

type extractor struct {
	dir     string
	o       Options
	written int64
	// links are the symlinks unpacked, by slash path.
	links map[string]bool
}

func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	rel, err := entryPath(h.Name)
	if err != nil || rel == "" { // "" is the root folder itself
		return err
	}
	if x.belowLink(rel) {
		return fmt.Errorf("entry %q lies below a symlink", h.Name)
	}
	target := filepath.Join(x.dir, filepath.FromSlash(rel))
	switch {
	case h.Typeflag == tar.TypeDir:
		return x.mkdirs(rel)
	case h.Typeflag == tar.TypeReg:
		if err := x.mkdirs(path.Dir(rel)); err != nil {
			return err
		}
		if h.Size > x.o.MaxBytes-x.written {
			return fmt.Errorf("more than %d bytes", x.o.MaxBytes)
		}
		n, err := writeFile(target, r, h)
		x.written += n
		return err
	case x.o.Links == SkipLinks:
		return nil // symlinks, hard links, devices: never unpacked
	case h.Typeflag == tar.TypeSymlink:
		if err := checkLink(rel, h.Linkname); err != nil {
			return err
		}
		if err := x.mkdirs(path.Dir(rel)); err != nil {
			return err
		}
		x.links[rel] = true
		return os.Symlink(h.Linkname, target)
	default:
		return fmt.Errorf("entry %q: unsupported entry type %q", h.Name, h.Typeflag)
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

// checkLink accepts a symlink at rel only if it stays inside the root
// whatever the other links are: it is relative, climbs with leading ".."
// at most to the root (through real folders: no entry lies below a link)
// and then only descends.
func checkLink(rel, link string) error {
	if link == "" || path.IsAbs(link) {
		return fmt.Errorf("symlink %s -> %s: only relative links are allowed", rel, link)
	}
	parts := strings.Split(link, "/")
	up := 0
	for up < len(parts) && parts[up] == ".." {
		up++
	}
	for _, p := range parts[up:] {
		if p == ".." {
			return fmt.Errorf("symlink %s -> %s: \"..\" is allowed only at the start", rel, link)
		}
	}
	if up > strings.Count(rel, "/") {
		return fmt.Errorf("symlink %s -> %s points outside the archive", rel, link)
	}
	return nil
}

func (x *extractor) belowLink(rel string) bool {
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if x.links[d] {
			return true
		}
	}
	return false
}

// mkdirs creates the folders of rel below the root, refusing to go through
// anything but folders.
func (x *extractor) mkdirs(rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	cur := x.dir
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
		return 0, fmt.Errorf("entry %q: a folder or link of that name exists", h.Name)
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
