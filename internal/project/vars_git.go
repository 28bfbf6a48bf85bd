package project

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gobwas/glob"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
)

// loadGit loads a git source as the original does: the file at path in
// the repository at ref, rendered as a template and parsed like a file
// source. The path must stay inside the repository.
func (l *varsLoader) loadGit(ctx context.Context, vars *Vars, src *VarsSource) (any, bool, bool, error) {
	g := src.Git
	safe := redactURL(g.URL)
	switch {
	case strings.TrimSpace(g.URL) == "":
		return nil, false, false, errors.New("git: url is required")
	case g.Path == "":
		return nil, false, false, fmt.Errorf("git %s: path is required", safe)
	}
	if g.Ref != nil {
		if err := g.Ref.check(); err != nil {
			return nil, false, false, fmt.Errorf("git %s: ref: %w", safe, err)
		}
	}
	desc := fmt.Sprintf("git %s (%s)", safe, g.Ref.String())
	root, err := l.fetchGitRoot(ctx, g.URL, g.Ref)
	if err != nil {
		return nil, false, false, fmt.Errorf("%s: %w", desc, err)
	}
	file := filepath.FromSlash(g.Path)
	if _, err := joinInside(root, root, file); err != nil {
		return nil, false, false, fmt.Errorf("%s: path %q leaves the repository", desc, g.Path)
	}
	v, sensitive, found, err := l.fetchFile(ctx, vars, file, []string{root})
	switch {
	case err != nil:
		return nil, false, false, fmt.Errorf("%s: %w", desc, err)
	case !found && !src.IgnoreMissing:
		return nil, false, false, fmt.Errorf("%s: file %s not found; set ignoreMissing: true to make it optional", desc, g.Path)
	}
	return v, sensitive, found, nil
}

// fetchGitRoot fetches url at ref and returns the resolved root of its
// files, registered as a repository root for templates.
func (l *varsLoader) fetchGitRoot(ctx context.Context, url string, ref *GitRef) (string, error) {
	if l.fetchGit == nil {
		return "", errors.New("git repositories can not be fetched here (no git cache configured)")
	}
	l.debug(fmt.Sprintf("fetching git vars %s (%s)", redactURL(url), ref.String()))
	src, err := l.fetchGit(ctx, url, ref)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(src.Dir)
	if err != nil {
		return "", err
	}
	l.tpl.AddRoot(root)
	return root, nil
}

// gitFilesRef is a ref a gitFiles source loads: what to fetch, and how
// the result names it (ref and refStr, as the original).
type gitFilesRef struct {
	fetch  *GitRef
	ref    map[string]any
	refStr string
}

// loadGitFiles loads a gitFiles source as the original does: a list with
// one entry per matching ref, {ref, refStr, files, filesByPath,
// filesTree}, where each file is {file, path, size, content, parsed}.
// The value is a list, so targetPath is required.
func (l *varsLoader) loadGitFiles(ctx context.Context, vars *Vars, g *GitFilesVarsSource, searchDirs []string) (any, bool, bool, error) {
	desc := "gitFiles " + redactURL(g.URL)
	if strings.TrimSpace(g.URL) == "" {
		return nil, false, false, errors.New("gitFiles: url is required")
	}
	globs := make([]glob.Glob, len(g.Files))
	for i, f := range g.Files {
		gl, err := glob.Compile(f.Glob, '/')
		if f.Glob == "" || err != nil {
			return nil, false, false, fmt.Errorf("%s: files[%d]: invalid glob %q", desc, i, f.Glob)
		}
		globs[i] = gl
	}
	refs, err := l.gitFilesRefs(ctx, g)
	if err != nil {
		return nil, false, false, fmt.Errorf("%s: %w", desc, err)
	}
	out := make([]any, 0, len(refs))
	sensitive := false
	for _, r := range refs {
		root, err := l.fetchGitRoot(ctx, g.URL, r.fetch)
		if err != nil {
			return nil, false, false, fmt.Errorf("%s (%s): %w", desc, r.fetch.String(), err)
		}
		files, enc, err := l.matchGitFiles(ctx, vars, root, g.Files, globs, searchDirs)
		sensitive = sensitive || enc
		if err != nil {
			return nil, false, false, fmt.Errorf("%s (%s): %w", desc, r.fetch.String(), err)
		}
		byPath, tree := map[string]any{}, map[string]any{}
		for _, f := range files {
			p := f.(map[string]any)["path"].(string)
			byPath[p] = f
			if err := setNested(tree, strings.Split(p, "/"), f); err != nil {
				return nil, false, false, fmt.Errorf("%s: filesTree: %w", desc, err)
			}
		}
		out = append(out, map[string]any{"ref": r.ref, "refStr": r.refStr, "files": files, "filesByPath": byPath, "filesTree": tree})
	}
	return out, sensitive, true, nil
}

// gitFilesRefs returns the refs of a gitFiles source: the default branch
// without ref, the commit, or the branches or tags matching ref.branch or
// ref.tag, regular expressions as in the original. A plain name needs no
// listing (and so works with the credentials of git includes); a pattern
// lists the repository's refs.
func (l *varsLoader) gitFilesRefs(ctx context.Context, g *GitFilesVarsSource) ([]gitFilesRef, error) {
	r := g.Ref
	switch {
	case r == nil || *r == GitRef{}:
		return []gitFilesRef{{ref: map[string]any{}}}, nil
	case r.Name != "":
		return nil, errors.New("ref must be {branch: <regex>}, {tag: <regex>} or {commit: <sha>}")
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("ref: %w", err)
	}
	if r.Commit != "" {
		return []gitFilesRef{{fetch: &GitRef{Commit: r.Commit}, ref: map[string]any{"commit": r.Commit}}}, nil
	}
	kind, prefix, pattern := "branch", "refs/heads/", r.Branch
	if r.Tag != "" {
		kind, prefix, pattern = "tag", "refs/tags/", r.Tag
	}
	one := func(name string) gitFilesRef {
		f := &GitRef{Branch: name}
		if kind == "tag" {
			f = &GitRef{Tag: name}
		}
		return gitFilesRef{fetch: f, ref: map[string]any{kind: name}, refStr: prefix + name}
	}
	if !strings.ContainsAny(pattern, `\^$*+?()[]{}|`) {
		return []gitFilesRef{one(pattern)}, nil
	}
	re, err := regexp.Compile("^" + prefix + pattern + "$")
	if err != nil {
		return nil, fmt.Errorf("invalid %s regex: %w", kind, err)
	}
	if l.openRepo == nil {
		return nil, errors.New("ref patterns need the refs of the repository, which can not be listed here")
	}
	repo, err := l.openRepo(ctx, g.URL)
	if err != nil {
		return nil, err
	}
	names, err := repo.Refs(ctx)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []gitFilesRef
	for _, n := range names {
		if re.MatchString(n) {
			out = append(out, one(strings.TrimPrefix(n, prefix)))
		}
	}
	return out, nil
}

// matchGitFiles returns the files below root that match a glob (the
// first matching glob decides how a file is loaded), in path order, and
// whether one of them was SOPS-encrypted.
func (l *varsLoader) matchGitFiles(ctx context.Context, vars *Vars, root string, specs []GitFileGlob, globs []glob.Glob, searchDirs []string) ([]any, bool, error) {
	files, sensitive := []any{}, false
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		i := 0
		for i < len(globs) && !globs[i].Match(rel) {
			i++
		}
		if i == len(globs) {
			return nil
		}
		if err := checkInside(root, p); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m, enc, err := l.gitFileMatch(ctx, vars, specs[i], p, rel, string(data), st.Size(), searchDirs)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		sensitive = sensitive || enc
		files = append(files, m)
		return nil
	})
	return files, sensitive, err
}

// gitFileMatch is the entry of one file (at path): its spec, path, size,
// content (rendered when asked, then decrypted when it is a SOPS file, as
// in the original) and, with parseYaml, the parsed document(s). It tells
// whether the file was decrypted.
func (l *varsLoader) gitFileMatch(ctx context.Context, vars *Vars, spec GitFileGlob, path, rel, content string, size int64, searchDirs []string) (map[string]any, bool, error) {
	file := map[string]any{"glob": spec.Glob}
	for k, on := range map[string]bool{"render": spec.Render, "parseYaml": spec.ParseYaml, "yamlMultiDoc": spec.YamlMultiDoc} {
		if on {
			file[k] = true
		}
	}
	if spec.Render {
		out, err := l.tpl.RenderString(ctx, rel, content, searchDirs, vars)
		if err != nil {
			return nil, false, fmt.Errorf("render: %w", err)
		}
		content = out
	}
	decrypted := false
	if l.decrypt != nil {
		plain, dec, err := l.decrypt(ctx, path, []byte(content))
		if err != nil {
			return nil, false, err
		}
		if dec {
			decrypted, content, size = true, string(plain), int64(len(plain))
			l.recordDecrypted(content)
		}
	}
	m := map[string]any{"file": file, "path": rel, "size": size, "content": content}
	if spec.ParseYaml {
		parsed, err := parseYAMLDocs(content, spec.YamlMultiDoc)
		if err != nil {
			return nil, false, fmt.Errorf("parse: %w", err)
		}
		m["parsed"] = parsed
	}
	return m, decrypted, nil
}

// recordDecrypted adds the values of a decrypted YAML file (or the file
// as it is, when it is not YAML) to the decrypted values, as fetchFile
// does for vars files.
func (l *varsLoader) recordDecrypted(content string) {
	if l.decrypted == nil {
		return
	}
	v, err := parseYAMLDocs(content, true)
	if err != nil {
		*l.decrypted = append(*l.decrypted, content)
		return
	}
	walkScalars(v, func(x any) {
		if x != nil {
			*l.decrypted = append(*l.decrypted, fmt.Sprint(x))
		}
	})
}

// parseYAMLDocs parses the first YAML document of s, or with multiDoc
// all non-empty documents into a list.
func parseYAMLDocs(s string, multiDoc bool) (any, error) {
	if !multiDoc {
		return decodeYAMLValue([]byte(s))
	}
	r := yamlutil.NewYAMLReader(bufio.NewReader(strings.NewReader(s)))
	docs := []any{}
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(string(doc)) == "" {
			continue
		}
		v, err := decodeYAMLValue(doc)
		if err != nil {
			return nil, err
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}
