package project

import (
	"os"
	"path/filepath"
	"strings"
)

// Override replaces a remote repository of git or OCI includes (or, with
// Group, every repository below a prefix) by a local folder for one run:
// the --local-*-override flags.
type Override struct {
	// RepoKey is the repository or group: host/path, lower case.
	RepoKey string
	Group   bool
	Dir     string
}

// LocalDir returns the folder overriding the repository key (host/path),
// "" when none does. An exact override wins; a group override applies
// only when the repository's folder exists below it.
func LocalDir(overrides []Override, key string) string {
	for _, o := range overrides {
		if !o.Group && o.RepoKey == key {
			return o.Dir
		}
	}
	for _, o := range overrides {
		if rest, ok := strings.CutPrefix(key, o.RepoKey+"/"); o.Group && ok {
			d := filepath.Join(o.Dir, filepath.FromSlash(rest))
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
		}
	}
	return ""
}
