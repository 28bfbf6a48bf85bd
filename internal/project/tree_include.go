package project

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// loadInclude loads the project in incDir that item includes, with the
// item's vars added to a copy of vars. A library (a folder with
// .kluctl-library.yaml) gets only its args instead: the item's args over
// the library's defaults, and with passVars the includer's vars too.
func (l *treeLoader) loadInclude(ctx context.Context, vars *Vars, item *ItemConfig, searchDirs []string, cfgPath, incDir string, child *parentInfo) error {
	incVars := vars.Copy()
	lib, libPath, err := loadLibrary(incDir)
	if err != nil {
		return err
	}
	if lib != nil {
		incVars = NewVars()
		if item.PassVars {
			incVars = vars.Copy()
			delete(incVars.Values, "args")
		}
		args, err := libraryArgs(lib.Args, item.Args, libPath)
		if err != nil {
			return err
		}
		incVars.Set("args", args)
	}
	if err := l.vars.loadList(ctx, incVars, item.Vars, searchDirs, cfgPath); err != nil {
		return err
	}
	l.collectSensitive(incVars)
	return l.loadProject(ctx, incVars, incDir, child)
}

// fetchGitInclude fetches the repository of a git include and returns it
// as a source and the included folder (its subDir) inside it.
func (l *treeLoader) fetchGitInclude(ctx context.Context, cfgPath, field string, g *GitInclude) (*itemSource, string, error) {
	safeURL := redactURL(g.URL)
	if strings.TrimSpace(g.URL) == "" {
		return nil, "", &FileError{Path: cfgPath, Field: field + ".url", Err: errors.New("the git include has no url")}
	}
	if l.fetchGit == nil {
		return nil, "", &FileError{Path: cfgPath, Field: field, Err: errors.New("git includes can not be fetched here (no git cache configured)")}
	}
	l.debug(fmt.Sprintf("fetching git include %s (%s)", safeURL, g.Ref.String()))
	src, err := l.fetchGit(ctx, g.URL, g.Ref)
	if err != nil {
		return nil, "", &IncludeError{Path: cfgPath, Field: field, URL: safeURL, Ref: g.Ref.String(), Err: err}
	}
	return l.remoteSource(cfgPath, field, safeURL, g.Ref.String(), g.SubDir, src)
}

// fetchOCIInclude fetches the artifact of an OCI include and returns it
// as a source and the included folder (its subDir) inside it.
func (l *treeLoader) fetchOCIInclude(ctx context.Context, cfgPath, field string, o *OciInclude) (*itemSource, string, error) {
	safeURL := redactURL(o.URL)
	if !strings.HasPrefix(o.URL, "oci://") {
		return nil, "", &FileError{Path: cfgPath, Field: field + ".url", Err: fmt.Errorf("%q is not an oci:// URL", safeURL)}
	}
	if l.fetchOCI == nil {
		return nil, "", &FileError{Path: cfgPath, Field: field, Err: errors.New("oci includes can not be fetched here")}
	}
	l.debug(fmt.Sprintf("fetching oci include %s (%s)", safeURL, o.Ref.String()))
	src, err := l.fetchOCI(ctx, o.URL, o.Ref)
	if err != nil {
		return nil, "", &IncludeError{Path: cfgPath, Field: field, URL: safeURL, Ref: o.Ref.String(), Err: err}
	}
	return l.remoteSource(cfgPath, field, safeURL, o.Ref.String(), o.SubDir, src)
}

// remoteSource registers a fetched repository or artifact and returns it
// with the included folder subDir inside it.
func (l *treeLoader) remoteSource(cfgPath, field, safeURL, ref, subDir string, src *RemoteSource) (*itemSource, string, error) {
	root, err := filepath.EvalSymlinks(src.Dir)
	if err != nil {
		return nil, "", &IncludeError{Path: cfgPath, Field: field, URL: safeURL, Ref: ref, Err: err}
	}
	l.p.Templates.AddRoot(root)
	is := &itemSource{root: root, id: sourceID(src)}
	if subDir == "" {
		return is, root, nil
	}
	dir, err := joinInside(root, root, filepath.FromSlash(subDir))
	if err != nil {
		return nil, "", &FileError{Path: cfgPath, Field: field + ".subDir", Err: fmt.Errorf("%q leaves the repository %s", subDir, safeURL)}
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, "", &FileError{Path: cfgPath, Field: field + ".subDir", Err: fmt.Errorf("folder %s does not exist in %s at %s", subDir, safeURL, src.Commit)}
	}
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return nil, "", err
	}
	return is, dir, nil
}

// redactURL removes a password from a URL for messages.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable url>"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// LibraryConfig is the content of .kluctl-library.yaml.
type LibraryConfig struct {
	Args []ArgDeclaration `json:"args,omitempty"`
}

// loadLibrary reads .kluctl-library.yaml (or .yml) of dir; nil when there
// is none.
func loadLibrary(dir string) (*LibraryConfig, string, error) {
	path := existingYAML(filepath.Join(dir, ".kluctl-library"))
	if path == "" {
		return nil, "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, err
	}
	var lib LibraryConfig
	if err := decodeStrict(path, data, &lib); err != nil {
		return nil, path, err
	}
	return &lib, path, nil
}

// libraryArgs are the args a library sees: given over the declared
// defaults; a declared arg without default must be given.
func libraryArgs(decls []ArgDeclaration, given Values, libPath string) (map[string]any, error) {
	out := map[string]any{}
	for _, d := range decls {
		if d.HasDefault {
			out[d.Name] = deepCopy(d.Default)
		}
	}
	mergeInto(out, deepCopyMap(given), false)
	var missing []string
	for _, d := range decls {
		if _, ok := lookupArg(out, d.Name); !ok {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) != 0 {
		return nil, &FileError{Path: libPath, Field: "args", Err: fmt.Errorf("required argument %s not set; pass it in the args of the include", strings.Join(missing, ", "))}
	}
	return out, nil
}

// lookupArg finds a dotted arg name in args.
func lookupArg(args map[string]any, name string) (any, bool) {
	if v, ok := args[name]; ok {
		return v, true
	}
	var cur any = args
	for _, p := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}
