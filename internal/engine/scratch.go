package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultScratchDir is where temporary render trees go when
// Options.ScratchDir is empty: kluctl/scratch in the user's cache folder
// ($XDG_CACHE_HOME or ~/.cache), else the temp folder ($TMPDIR or /tmp).
// It reads the environment only through getenv.
func DefaultScratchDir(getenv func(string) string) string {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "kluctl", "scratch")
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".cache", "kluctl", "scratch")
	}
	if t := getenv("TMPDIR"); filepath.IsAbs(t) {
		return filepath.Join(t, "kluctl-scratch")
	}
	return filepath.Join(string(filepath.Separator), "tmp", "kluctl-scratch")
}

// staleScratchAge is how old a scratch folder left behind by a killed
// process must be before a later load removes it.
const staleScratchAge = 24 * time.Hour

// newScratch creates a private folder for one load below parent and
// returns it with the function that removes it. Folders of earlier loads
// that were killed before they could clean up are removed once stale.
func newScratch(parent string) (string, func(), error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", nil, fmt.Errorf("create scratch folder %s: %w", parent, err)
	}
	removeStale(parent)
	dir, err := os.MkdirTemp(parent, "run-")
	if err != nil {
		return "", nil, fmt.Errorf("create scratch folder in %s: %w", parent, err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

func removeStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "run-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleScratchAge {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}
