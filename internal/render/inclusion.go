package render

import (
	"path"
	"strings"
)

// Inclusion selects deployment items by tag and folder, as the -I/-E and
// --include-deployment-dir/--exclude-deployment-dir flags do.
type Inclusion struct {
	IncludeTags, ExcludeTags []string
	IncludeDirs, ExcludeDirs []string
}

// Empty tells whether no filter is set.
func (in *Inclusion) Empty() bool {
	return in == nil || len(in.IncludeTags)+len(in.ExcludeTags)+len(in.IncludeDirs)+len(in.ExcludeDirs) == 0
}

// Included tells whether an item with tags and dir (relative to the project
// root) passes the filters. Exclusion wins over inclusion. With
// excludeIfNotIncluded, an item is excluded unless an include filter matches
// it explicitly (skipDeleteIfTags semantics).
func (in *Inclusion) Included(tags []string, dir string, excludeIfNotIncluded bool) bool {
	if in.Empty() {
		return true
	}
	dir = cleanDir(dir)
	for _, t := range tags {
		if contains(in.ExcludeTags, t) {
			return false
		}
	}
	for _, d := range in.ExcludeDirs {
		if dir != "" && cleanDir(d) == dir {
			return false
		}
	}
	hasIncludes := len(in.IncludeTags)+len(in.IncludeDirs) > 0
	if !hasIncludes {
		return !excludeIfNotIncluded
	}
	for _, t := range tags {
		if contains(in.IncludeTags, t) {
			return true
		}
	}
	for _, d := range in.IncludeDirs {
		if dir != "" && cleanDir(d) == dir {
			return true
		}
	}
	return false
}

func cleanDir(d string) string {
	if d == "" {
		return ""
	}
	return strings.TrimSuffix(path.Clean(strings.ReplaceAll(d, "\\", "/")), "/")
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
