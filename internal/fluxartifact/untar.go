package fluxartifact

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

type limits struct {
	size  int64
	files int
}

// untar unpacks a gzipped tarball into dir. Entries must stay inside dir:
// absolute names, ".." and symlinks that point outside are refused, as
// are devices and other special files; the unpacked size and the number
// of entries are bounded.
func untar(r io.Reader, dir string, l limits) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("unpack: not a gzipped tarball: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var total int64
	links := map[string]bool{}
	for files := 0; ; files++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
		if files >= l.files {
			return fmt.Errorf("unpack: more than %d entries", l.files)
		}
		name, err := entryPath(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue // the root itself
		}
		if belowLink(name, links) {
			return fmt.Errorf("unpack: entry %s lies below a symlink", name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			total += h.Size
			if total > l.size {
				return fmt.Errorf("unpack: larger than %d bytes", l.size)
			}
			if err := writeFile(target, tr, h.Size, h.FileInfo().Mode()); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := symlinkInside(name, h.Linkname, target); err != nil {
				return err
			}
			links[name] = true
		default:
			return fmt.Errorf("unpack: %s: unsupported entry type %q", h.Name, h.Typeflag)
		}
	}
}

// entryPath is the clean, relative, slash-separated path of a tar entry;
// names that leave the root are refused.
func entryPath(name string) (string, error) {
	if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return "", fmt.Errorf("unpack: entry %q is not a relative path", name)
	}
	p := path.Clean(name)
	if p == "." {
		return "", nil
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("unpack: entry %q leaves the artifact", name)
	}
	return p, nil
}

// symlinkInside creates the link name -> link at target. A link must
// stay inside the artifact whatever the other links are: it is relative,
// climbs with leading ".." at most to the root (through real folders: no
// entry lies below a link) and then only descends.
func symlinkInside(name, link, target string) error {
	if path.IsAbs(link) || link == "" {
		return fmt.Errorf("unpack: symlink %s -> %s: only relative links are allowed", name, link)
	}
	parts := strings.Split(link, "/")
	up := 0
	for up < len(parts) && parts[up] == ".." {
		up++
	}
	for _, p := range parts[up:] {
		if p == ".." {
			return fmt.Errorf("unpack: symlink %s -> %s: \"..\" is allowed only at the start", name, link)
		}
	}
	depth := 0
	if d := path.Dir(name); d != "." {
		depth = len(strings.Split(d, "/"))
	}
	if up > depth {
		return fmt.Errorf("unpack: symlink %s -> %s points outside the artifact", name, link)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	return os.Symlink(link, target)
}

// belowLink reports whether name lies below one of the links unpacked.
func belowLink(name string, links map[string]bool) bool {
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if links[d] {
			return true
		}
	}
	return false
}

func writeFile(target string, r io.Reader, size int64, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode.Perm()&0o755|0o600)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return fmt.Errorf("unpack: %w", err)
	}
	return f.Close()
}
