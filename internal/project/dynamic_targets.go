package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Dynamic targets are the targets of Kluctl v2 whose entry in .kluctl.yaml
// carries targetConfig. The current original rejects the field (strict
// decoding: `json: unknown field "targetConfig"`); here it is accepted as
// an extension with the v2 semantics, plus refs of the project's own
// repository:
//
//   - targetConfig.refPattern: one target per branch or tag of the
//     repository whose name the pattern matches as a whole (a pattern
//     starting with refs/ is matched against the whole ref name instead);
//     targetConfig.ref of each target is the matched name, so a templated
//     name such as "review-{{ target.targetConfig.ref }}" tells them apart.
//   - targetConfig.ref: one target, for that branch or tag.
//   - neither, with targetConfig.project: the repository's default branch.
//   - neither, without project: the v2 "simple" form, the file is read
//     from the project folder on disk.
//
// The repository is targetConfig.project.url, or without project the git
// repository holding the project (v2 refused ref and refPattern without
// project; listing the project's own branches is what preview
// environments need, so it is allowed here). Every expanded target reads its target
// config file (targetConfig.file, default target-config.yml) at its ref,
// without a checkout:
//
//	args:    # merged over the target's args; only names in dynamicArgs
//	  a: 1
//	images:  # fixed images, winning over the target's own images
//	  - image: app
//	    resultImage: app:1.2.3
//
// A ref whose file is missing or invalid yields no target (it is reported
// when listing, and is the error when that target is asked for by name).

// defaultTargetConfigFile is read when targetConfig.file is not set; its
// .yaml twin is tried when it does not exist.
const defaultTargetConfigFile = "target-config.yml"

// targetCandidate is one target an entry of .kluctl.yaml stands for: the
// entry itself, or one ref of a dynamic target. Err is set when the ref's
// target config file could not be used; Config then carries the ref but
// not the file's args and images, so that its name still renders.
type targetCandidate struct {
	Config TargetConfig
	Err    error
}

// targetExpander expands the dynamic targets of one project load.
type targetExpander struct {
	// root is the project folder, repoRoot the repository root: own
	// repository files are read at root's path relative to repoRoot.
	root, repoRoot string
	open           func(ctx context.Context, url string) (TargetRepo, error)
	repos          map[string]TargetRepo
}

func newTargetExpander(root, repoRoot string, open func(context.Context, string) (TargetRepo, error)) *targetExpander {
	if open == nil {
		open = func(ctx context.Context, url string) (TargetRepo, error) {
			return OpenGitTargetRepo(ctx, repoRoot, url)
		}
	}
	return &targetExpander{root: root, repoRoot: repoRoot, open: open, repos: map[string]TargetRepo{}}
}

func (x *targetExpander) repo(ctx context.Context, url string) (TargetRepo, error) {
	if r, ok := x.repos[url]; ok {
		return r, nil
	}
	r, err := x.open(ctx, url)
	if err != nil {
		return nil, err
	}
	x.repos[url] = r
	return r, nil
}

// expand returns the targets the dynamic entry tc stands for, in ref name
// order. The error is about the entry as a whole (repository, ref).
func (x *targetExpander) expand(ctx context.Context, tc *TargetConfig) ([]targetCandidate, error) {
	d := tc.Dynamic
	if d.Project == nil && d.Ref == "" && d.RefPattern == "" {
		c := targetCandidate{Config: withRef(tc, "")}
		data, desc, err := x.readLocal(d.File)
		if err == nil {
			err = applyTargetConfigFile(&c.Config, desc, data)
		}
		c.Err = err
		return []targetCandidate{c}, nil
	}

	url, repoDesc, dir := "", "the project's git repository", x.projectSubdir()
	if d.Project != nil {
		url, repoDesc, dir = d.Project.URL, d.Project.URL, ""
	}
	repo, err := x.repo(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("target %q: targetConfig: %w", tc.Name, err)
	}
	refs, err := repo.Refs(ctx)
	if err != nil {
		return nil, fmt.Errorf("target %q: list refs of %s: %w", tc.Name, repoDesc, err)
	}
	type match struct{ full, short string }
	var matches []match
	switch {
	case d.RefPattern != "":
		re, err := refPatternRegexp(d.RefPattern)
		if err != nil {
			return nil, fmt.Errorf("target %q: targetConfig.refPattern: %w", tc.Name, err)
		}
		for _, r := range refs {
			if short, ok := matchRef(re, d.RefPattern, r); ok {
				matches = append(matches, match{r, short})
			}
		}
	default:
		ref := d.Ref
		if ref == "" {
			if ref, err = repo.DefaultBranch(ctx); err != nil {
				return nil, fmt.Errorf("target %q: default branch of %s: %w", tc.Name, repoDesc, err)
			}
		}
		full := findRef(refs, ref)
		if full == "" {
			return nil, fmt.Errorf("target %q: targetConfig.ref %q is neither a branch nor a tag of %s", tc.Name, ref, repoDesc)
		}
		matches = append(matches, match{full, ref})
	}

	out := make([]targetCandidate, 0, len(matches))
	for _, m := range matches {
		c := targetCandidate{Config: withRef(tc, m.short)}
		data, desc, err := readRepoTargetConfig(ctx, repo, m.full, m.short, dir, d.File)
		if err == nil {
			err = applyTargetConfigFile(&c.Config, desc, data)
		}
		if err != nil {
			c.Err = fmt.Errorf("ref %s of target %q: %w", m.short, tc.Name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// projectSubdir is the project folder relative to the repository root,
// slash separated, "" for the root.
func (x *targetExpander) projectSubdir() string {
	rel, err := filepath.Rel(x.repoRoot, x.root)
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// readLocal reads the target config file of the simple form from the
// project folder.
func (x *targetExpander) readLocal(file string) ([]byte, string, error) {
	names := []string{file}
	if file == "" {
		names = defaultTargetConfigNames()
	}
	for _, n := range names {
		p := filepath.Join(x.root, filepath.FromSlash(n))
		data, err := os.ReadFile(p)
		if err == nil {
			return data, p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, p, err
		}
	}
	return nil, "", fmt.Errorf("no target config file %s found in %s", names[0], x.root)
}

// readRepoTargetConfig reads the target config file at ref; desc names it
// in errors as ref:path.
func readRepoTargetConfig(ctx context.Context, repo TargetRepo, fullRef, short, dir, file string) ([]byte, string, error) {
	names := []string{file}
	if file == "" {
		names = defaultTargetConfigNames()
	}
	for _, n := range names {
		p := path.Join(dir, n)
		data, err := repo.ReadFile(ctx, fullRef, p)
		if err == nil {
			return data, short + ":" + p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("read %s:%s: %w", short, p, err)
		}
	}
	return nil, "", fmt.Errorf("no target config file %s found at %s", path.Join(dir, names[0]), short)
}

func defaultTargetConfigNames() []string {
	return []string{defaultTargetConfigFile, strings.TrimSuffix(defaultTargetConfigFile, ".yml") + ".yaml"}
}

// withRef copies tc (args, images and targetConfig too) and records ref
// as targetConfig.ref.
func withRef(tc *TargetConfig, ref string) TargetConfig {
	c := *tc
	c.Args = deepCopyMap(tc.Args)
	c.Images = append([]Values(nil), tc.Images...)
	d := *tc.Dynamic
	if ref != "" {
		d.Ref = ref
	}
	c.Dynamic = &d
	return c
}

// targetConfigFile is the content of a dynamic target's config file.
type targetConfigFile struct {
	Args   Values   `json:"args,omitempty"`
	Images []Values `json:"images,omitempty"`
}

// applyTargetConfigFile merges the file's args (only those the target's
// dynamicArgs allow) and images into tc.
func applyTargetConfigFile(tc *TargetConfig, desc string, data []byte) error {
	var f targetConfigFile
	if err := decodeStrict(desc, data, &f); err != nil {
		return err
	}
	if _, err := fixedImagesFromValues(f.Images); err != nil {
		return &FileError{Path: desc, Line: lineOf(data, "images"), Field: "images", Err: err}
	}
	var allowed []string
	for _, a := range tc.DynamicArgs {
		allowed = append(allowed, a.Name)
	}
	for _, leaf := range argLeaves(map[string]any(f.Args), nil) {
		if dynamicArgAllowed(allowed, leaf.name) {
			continue
		}
		why := "the target has no dynamicArgs"
		if len(allowed) > 0 {
			why = "it is not in the target's dynamicArgs (" + strings.Join(allowed, ", ") + ")"
		}
		return &FileError{Path: desc, Line: lineOf(data, append([]any{"args"}, leaf.path...)...), Field: "args." + leaf.name,
			Err: fmt.Errorf("the target config may not set arg %q: %s", leaf.name, why)}
	}
	if len(f.Args) > 0 {
		if tc.Args == nil {
			tc.Args = Values{}
		}
		mergeInto(tc.Args, deepCopyMap(f.Args), false)
	}
	// The lookup of fixed images takes the last match: the file's win.
	tc.Images = append(tc.Images, f.Images...)
	return nil
}

// argLeaf is one leaf value of an args map: name is its dotted name
// ("a.b", "list[0]"), path the keys and indexes leading to it.
type argLeaf struct {
	name string
	path []any
}

func argLeaves(v any, p []any) []argLeaf {
	var out []argLeaf
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 || len(p) == 0 {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				out = append(out, argLeaves(x[k], append(append([]any(nil), p...), k))...)
			}
			return out
		}
	case []any:
		if len(x) > 0 {
			for i, e := range x {
				out = append(out, argLeaves(e, append(append([]any(nil), p...), i))...)
			}
			return out
		}
	}
	return []argLeaf{{name: leafName(p), path: p}}
}

func leafName(p []any) string {
	var b strings.Builder
	for _, e := range p {
		switch k := e.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}

// dynamicArgAllowed reports whether the arg leaf name is listed, or lies
// below a listed name (a listed map allows all of its content).
func dynamicArgAllowed(allowed []string, name string) bool {
	for _, a := range allowed {
		if name == a || strings.HasPrefix(name, a+".") || strings.HasPrefix(name, a+"[") {
			return true
		}
	}
	return false
}

// refPatternRegexp compiles a refPattern for a whole-name match.
func refPatternRegexp(p string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + p + ")$")
}

// matchRef matches the full ref name against a refPattern and returns
// the name the target records: the branch or tag name, or the full ref
// for patterns starting with refs/.
func matchRef(re *regexp.Regexp, pattern, ref string) (string, bool) {
	if strings.HasPrefix(pattern, "refs/") {
		if re.MatchString(ref) {
			return ref, true
		}
		return "", false
	}
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if short, ok := strings.CutPrefix(ref, prefix); ok && re.MatchString(short) {
			return short, true
		}
	}
	return "", false
}

// findRef returns the full name of the branch or tag ref (or of the full
// ref name given), "" when refs has none.
func findRef(refs []string, ref string) string {
	for _, want := range []string{ref, "refs/heads/" + ref, "refs/tags/" + ref} {
		if !strings.HasPrefix(want, "refs/") {
			continue
		}
		for _, r := range refs {
			if r == want {
				return r
			}
		}
	}
	return ""
}

// validateDynamicTarget checks targetConfig and dynamicArgs of targets[i]
// of the .kluctl.yaml at cfgPath.
func validateDynamicTarget(cfgPath string, data []byte, i int, t *TargetConfig) error {
	fail := func(err error, field string, at ...any) error {
		return &FileError{Path: cfgPath, Line: lineOf(data, append([]any{"targets", i}, at...)...), Field: fmt.Sprintf("targets[%d].%s", i, field), Err: err}
	}
	for j, a := range t.DynamicArgs {
		if a.Name == "" {
			return fail(errors.New("arg name is required"), fmt.Sprintf("dynamicArgs[%d].name", j), "dynamicArgs", j)
		}
	}
	d := t.Dynamic
	if d == nil {
		return nil
	}
	if d.Ref != "" && d.RefPattern != "" {
		return fail(errors.New("'refPattern' and 'ref' can't be specified together"), "targetConfig.refPattern", "targetConfig", "refPattern")
	}
	if d.RefPattern != "" {
		if _, err := refPatternRegexp(d.RefPattern); err != nil {
			return fail(fmt.Errorf("invalid regular expression: %w", err), "targetConfig.refPattern", "targetConfig", "refPattern")
		}
	}
	if d.Project != nil && d.Project.URL == "" {
		return fail(errors.New("url is required"), "targetConfig.project.url", "targetConfig", "project")
	}
	if d.File != "" {
		clean := path.Clean(filepath.ToSlash(d.File))
		if filepath.IsAbs(d.File) || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fail(fmt.Errorf("%q must be a relative path that stays inside its folder", d.File), "targetConfig.file", "targetConfig", "file")
		}
		d.File = clean
	}
	return nil
}
