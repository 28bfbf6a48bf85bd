package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// treeLoader walks the deployment.yml tree.
type treeLoader struct {
	p        *Project
	vars     varsLoader
	stack    []string
	debug    func(string)
	fetchGit FetchGitFunc
	fetchOCI FetchOCIFunc
}

// parentInfo is what an included project inherits.
type parentInfo struct {
	parent  *parentInfo
	dir     string
	config  *DeploymentConfig
	include *ItemConfig // the item of the parent that included this project
	src     *itemSource // the repository the project's files come from
}

// itemSource is a repository files come from: the project's own
// (id "") or the export of a git include.
type itemSource struct {
	root, id string
}

// loadProject loads the deployment project in dir with the given vars (which
// it may not change: it works on a copy).
func (l *treeLoader) loadProject(ctx context.Context, parentVars *Vars, dir string, parent *parentInfo) error {
	for _, d := range l.stack {
		if d == dir {
			return fmt.Errorf("include cycle: %s", strings.Join(append(relAll(l.p.Root, l.stack), rel(l.p.Root, dir)), " -> "))
		}
	}
	l.stack = append(l.stack, dir)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	l.debug("loading deployment project " + rel(l.p.Root, dir))

	vars := parentVars.Copy()
	searchDirs := l.p.Templates.SearchDirsFor(dir)
	cfg, cfgPath, err := l.readConfig(ctx, dir, vars, parent == nil, searchDirs)
	if err != nil {
		return err
	}
	me := &parentInfo{dir: dir, config: cfg, src: &itemSource{root: l.p.RepoRoot}}
	if parent != nil {
		me.src = parent.src
	}
	if parent == nil {
		l.p.Deployment = cfg
	} else if parent.include != nil {
		l.p.Included[parent.include] = cfg
	}
	if parent != nil {
		me.parent = parent.parent
		me.include = parent.include
	}
	if cfg.When != "" {
		if parent == nil {
			return &FileError{Path: cfgPath, Field: "when", Err: fmt.Errorf("the root deployment project can not contain 'when'")}
		}
		ok, err := l.p.Templates.Condition(ctx, cfg.When, searchDirs, vars)
		if err != nil || !ok {
			return err
		}
	}
	if err := l.vars.loadList(ctx, vars, cfg.Vars, searchDirs, cfgPath); err != nil {
		return err
	}
	l.collectSensitive(vars)
	if parent == nil {
		l.p.RootVars = vars
	}
	if err := validateItems(cfgPath, cfg); err != nil {
		return err
	}
	l.p.IgnoreForDiff = append(l.p.IgnoreForDiff, cfg.IgnoreForDiff...)
	l.p.ConflictResolution = append(l.p.ConflictResolution, cfg.ConflictResolution...)

	for i := range cfg.Deployments {
		item := &cfg.Deployments[i]
		if len(item.Tags) == 0 {
			switch {
			case item.Path != nil && *item.Path != ".":
				item.Tags = []string{filepath.Base(*item.Path)}
			case item.Include != nil:
				item.Tags = []string{filepath.Base(*item.Include)}
			}
		}
		ok, err := l.p.Templates.Condition(ctx, item.When, searchDirs, vars)
		if err != nil {
			return fmt.Errorf("%s: deployments[%d].when: %w", cfgPath, i, err)
		}
		if !ok {
			continue
		}
		field := fmt.Sprintf("deployments[%d]", i)
		switch {
		case item.Include != nil:
			incDir, err := l.itemDir(cfgPath, field+".include", me.src.root, dir, *item.Include)
			if err != nil {
				return err
			}
			if err := l.loadInclude(ctx, vars, item, searchDirs, cfgPath, incDir, &parentInfo{parent: me, include: item, src: me.src}); err != nil {
				return err
			}
		case item.Git != nil:
			src, incDir, err := l.fetchGitInclude(ctx, cfgPath, field+".git", item.Git)
			if err != nil {
				return err
			}
			if err := l.loadInclude(ctx, vars, item, searchDirs, cfgPath, incDir, &parentInfo{parent: me, include: item, src: src}); err != nil {
				return err
			}
		case item.Oci != nil:
			src, incDir, err := l.fetchOCIInclude(ctx, cfgPath, field+".oci", item.Oci)
			if err != nil {
				return err
			}
			if err := l.loadInclude(ctx, vars, item, searchDirs, cfgPath, incDir, &parentInfo{parent: me, include: item, src: src}); err != nil {
				return err
			}
		default:
			it := &Item{Config: item, SearchDirs: searchDirs}
			if item.Path != nil {
				itemDir, err := l.itemDir(cfgPath, field+".path", me.src.root, dir, *item.Path)
				var missing *missingDirError
				switch {
				case errors.As(err, &missing):
					// Only an error when the item is rendered: excluded
					// items may point to folders that are not there (a
					// submodule that is not checked out).
					it.Dir = filepath.Join(dir, *item.Path)
					it.DirErr = err
				case err != nil:
					return err
				default:
					it.Dir = itemDir
				}
				it.RelDir = rel(l.p.Root, it.Dir)
				if me.src.id != "" {
					it.RelDir = me.src.id + "/" + rel(me.src.root, it.Dir)
				}
			}
			it.SourceRoot, it.SourceID = me.src.root, me.src.id
			it.Vars = vars.Copy()
			if err := l.vars.loadList(ctx, it.Vars, item.Vars, searchDirs, cfgPath); err != nil {
				return err
			}
			l.collectSensitive(it.Vars)
			l.inherit(it, me)
			l.p.Items = append(l.p.Items, it)
		}
	}
	return nil
}

func (l *treeLoader) collectSensitive(v *Vars) {
	for s := range v.Sensitive {
		l.p.sensitive[s] = struct{}{}
	}
}

// inherit fills tags, common labels/annotations, overrideNamespace and
// template excludes from the project chain.
func (l *treeLoader) inherit(it *Item, me *parentInfo) {
	var chain []*parentInfo // self first
	for p := me; p != nil; p = p.parent {
		chain = append(chain, p)
	}
	seen := map[string]bool{}
	addTags := func(tags []string) {
		for _, t := range tags {
			if !seen[t] {
				seen[t] = true
				it.Tags = append(it.Tags, t)
			}
		}
	}
	for _, p := range chain {
		if p.include != nil {
			addTags(p.include.Tags)
		}
		addTags(p.config.Tags)
	}
	addTags(it.Config.Tags)

	it.CommonLabels = map[string]string{}
	it.CommonAnnotations = map[string]string{}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].config.CommonLabels {
			it.CommonLabels[k] = v
		}
		for k, v := range chain[i].config.CommonAnnotations {
			it.CommonAnnotations[k] = v
		}
		it.TemplateExcludes = append(it.TemplateExcludes, chain[i].config.TemplateExcludes...)
	}
	for _, p := range chain {
		if p.config.OverrideNamespace != nil {
			it.OverrideNamespace = p.config.OverrideNamespace
			break
		}
	}
}

// readConfig renders and parses the deployment.yml of dir.
func (l *treeLoader) readConfig(ctx context.Context, dir string, vars *Vars, isRoot bool, searchDirs []string) (*DeploymentConfig, string, error) {
	path := existingYAML(filepath.Join(dir, "deployment"))
	if path == "" {
		if isRoot {
			dot := "."
			return &DeploymentConfig{Deployments: []ItemConfig{{Path: &dot}}}, filepath.Join(dir, "deployment.yml"), nil
		}
		if existingYAML(filepath.Join(dir, "kustomization")) != "" {
			return nil, "", fmt.Errorf("%s: deployment.yml not found, but the folder contains a kustomization.yml; use path instead of include", dir)
		}
		return nil, "", fmt.Errorf("%s: deployment.yml not found", dir)
	}
	out, err := l.p.Templates.RenderFile(ctx, path, searchDirs, vars)
	if err != nil {
		return nil, "", fmt.Errorf("render %s: %w", path, err)
	}
	var cfg DeploymentConfig
	if err := decodeStrict(path, []byte(out), &cfg); err != nil {
		return nil, "", err
	}
	return &cfg, path, nil
}

// itemDir resolves a path or include of an item and checks it.
func (l *treeLoader) itemDir(cfgPath, field, root, dir, p string) (string, error) {
	full, err := joinInside(root, dir, p)
	if err != nil {
		return "", &FileError{Path: cfgPath, Field: field, Err: err}
	}
	st, err := os.Stat(full)
	if err != nil {
		return "", &FileError{Path: cfgPath, Field: field, Err: &missingDirError{dir: p}}
	}
	if !st.IsDir() {
		return "", &FileError{Path: cfgPath, Field: field, Err: fmt.Errorf("%s is not a folder", p)}
	}
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", err
	}
	return resolved, nil
}

// missingDirError is an item folder that does not exist.
type missingDirError struct{ dir string }

func (e *missingDirError) Error() string { return fmt.Sprintf("folder %s does not exist", e.dir) }

func validateItems(cfgPath string, cfg *DeploymentConfig) error {
	for i, it := range cfg.Deployments {
		kinds := 0
		for _, set := range []bool{it.Path != nil, it.Include != nil, it.Git != nil, it.Oci != nil} {
			if set {
				kinds++
			}
		}
		field := fmt.Sprintf("deployments[%d]", i)
		if kinds > 1 {
			return &FileError{Path: cfgPath, Field: field, Err: fmt.Errorf("only one of path, include, git and oci may be set")}
		}
		if kinds == 0 && !it.Barrier && len(it.DeleteObjects) == 0 && len(it.WaitReadinessObjects) == 0 {
			return &FileError{Path: cfgPath, Field: field, Err: fmt.Errorf("item needs one of path, include, git, oci, barrier, deleteObjects or waitReadinessObjects")}
		}
		if it.Oci != nil && it.Oci.Ref != nil && it.Oci.Ref.Tag != "" && it.Oci.Ref.Digest != "" {
			return &FileError{Path: cfgPath, Field: field + ".oci.ref", Err: fmt.Errorf("only one of tag and digest may be set")}
		}
		if it.Git != nil && it.Git.Ref != nil {
			if err := it.Git.Ref.check(); err != nil {
				return &FileError{Path: cfgPath, Field: field + ".git.ref", Err: err}
			}
		}
		if (it.PassVars || it.Args != nil) && it.Include == nil && it.Git == nil && it.Oci == nil {
			return &FileError{Path: cfgPath, Field: field, Err: fmt.Errorf("passVars and args can only be used on includes")}
		}
	}
	for i, r := range cfg.IgnoreForDiff {
		if len(r.FieldPath) == 0 && len(r.FieldPathRegex) == 0 {
			return &FileError{Path: cfgPath, Field: fmt.Sprintf("ignoreForDiff[%d]", i), Err: fmt.Errorf("either fieldPath or fieldPathRegex must be set")}
		}
	}
	for i, r := range cfg.ConflictResolution {
		field := fmt.Sprintf("conflictResolution[%d]", i)
		if len(r.FieldPath) == 0 && len(r.FieldPathRegex) == 0 && len(r.Manager) == 0 {
			return &FileError{Path: cfgPath, Field: field, Err: fmt.Errorf("one of fieldPath, fieldPathRegex or manager must be set")}
		}
		if r.Action != "ignore" && r.Action != "force-apply" {
			return &FileError{Path: cfgPath, Field: field + ".action", Err: fmt.Errorf("action must be ignore or force-apply, got %q", r.Action)}
		}
	}
	return nil
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

func relAll(root string, ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = rel(root, p)
	}
	return out
}
