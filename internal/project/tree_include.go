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
// item's vars added to a copy of vars.
func (l *treeLoader) loadInclude(ctx context.Context, vars *Vars, item *ItemConfig, searchDirs []string, cfgPath, incDir string, child *parentInfo) error {
	incVars := vars.Copy()
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
