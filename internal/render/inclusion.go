package render

import (
	"path"
	"regexp"
	"strings"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// Inclusion selects deployment items by tag and folder, as the -I/-E and
// --include-deployment-dir/--exclude-deployment-dir flags do. Exclusion
// wins over inclusion; with include filters, only items matching one of
// them are included.
type Inclusion struct {
	IncludeTags, ExcludeTags []string
	// IncludeDirs and ExcludeDirs are item folders relative to the project
	// folder or to the repository root (as kluctl.io/deployment-item-dir
	// holds them); both forms match.
	IncludeDirs, ExcludeDirs []string
	// ProjectDir is the project folder relative to the repository root
	// ("" or "." when the project is the repository). Render sets it.
	ProjectDir string
}

// Empty tells whether no filter is set.
func (in *Inclusion) Empty() bool {
	return in == nil || len(in.IncludeTags)+len(in.ExcludeTags)+len(in.IncludeDirs)+len(in.ExcludeDirs) == 0
}

// HasTags tells whether tag filters are set.
func (in *Inclusion) HasTags() bool {
	return in != nil && len(in.IncludeTags)+len(in.ExcludeTags) > 0
}

// Included tells whether an item with tags and the repository-relative
// folder dir ("" for items without folder) passes the filters.
func (in *Inclusion) Included(tags []string, dir string) bool {
	if in.Empty() {
		return true
	}
	dir = cleanDir(dir)
	for _, t := range tags {
		if contains(in.ExcludeTags, t) {
			return false
		}
	}
	if dir != "" && in.matchDir(in.ExcludeDirs, dir) {
		return false
	}
	if len(in.IncludeTags)+len(in.IncludeDirs) == 0 {
		return true
	}
	for _, t := range tags {
		if contains(in.IncludeTags, t) {
			return true
		}
	}
	return dir != "" && in.matchDir(in.IncludeDirs, dir)
}

var tagLabelRe = regexp.MustCompile(`^` + regexp.QuoteMeta(k8s.LabelTagPrefix) + `\d+$`)

// IncludedObject tells whether an object in the cluster belongs to an
// included item, judged by its kluctl.io/tag-N labels and its
// kluctl.io/deployment-item-dir annotation (as the original filters remote
// objects for prune and delete).
func (in *Inclusion) IncludedObject(labels, annotations map[string]string) bool {
	if in.Empty() {
		return true
	}
	var tags []string
	for k, v := range labels {
		if tagLabelRe.MatchString(k) {
			tags = append(tags, v)
		}
	}
	return in.Included(tags, annotations[k8s.AnnotationDeploymentItemDir])
}

// matchDir tells whether dir (repository-relative, cleaned) is one of
// dirs, read relative to the project folder or to the repository root.
func (in *Inclusion) matchDir(dirs []string, dir string) bool {
	prefix := cleanDir(in.ProjectDir)
	for _, d := range dirs {
		c := cleanDir(d)
		if c == dir {
			return true
		}
		if prefix != "" && prefix != "." && cleanDir(path.Join(prefix, c)) == dir {
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
