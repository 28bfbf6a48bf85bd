package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// LoadOptions control how a project is loaded.
type LoadOptions struct {
	// ProjectDir is the project folder; empty means the working directory.
	ProjectDir string
	// ConfigPath is an explicit .kluctl.yaml (-c/--project-config).
	ConfigPath string
	Target     TargetOptions
	// Cluster reads clusterConfigMap/clusterSecret sources; nil when offline.
	Cluster ClusterReader
	// Getenv reads environment variables for systemEnvVars sources.
	Getenv func(string) string
	// FixedImages come from --fixed-image and --fixed-images-file; they
	// win over the target's images.
	FixedImages []FixedImage
}

// Project is a loaded project for one target.
type Project struct {
	// Root is the resolved, absolute project folder.
	Root string
	// GitRoot is the git work tree holding the project, "" if none.
	GitRoot    string
	ConfigPath string
	Config     *KluctlConfig
	Target     *Target
	// Items are the deployment items in deployment order, includes
	// flattened, items whose `when` is false left out.
	Items []*Item
	// IgnoreForDiff and ConflictResolution collect the rules of every
	// deployment.yml of the tree.
	IgnoreForDiff      []IgnoreForDiffRule
	ConflictResolution []ConflictResolutionRule
	// Templates renders the project's files.
	Templates *Templates
	// Images resolves images.get_image() in rendered objects.
	Images *ImageResolver

	sensitive map[string]struct{}
}

// Item is one deployment item with everything needed to render it.
type Item struct {
	Config *ItemConfig
	// Dir is the absolute item folder for path items, "" otherwise.
	Dir string
	// RelDir is Dir relative to the project root ("." for the root).
	RelDir string
	// Vars is the templating context of the item (item vars loaded).
	Vars *Vars
	// SearchDirs is the template search path of the item's project.
	SearchDirs        []string
	Tags              []string
	CommonLabels      map[string]string
	CommonAnnotations map[string]string
	OverrideNamespace *string
	TemplateExcludes  []string
}

// Load loads the project and its deployment tree for the chosen target.
func Load(ctx context.Context, opts LoadOptions) (*Project, error) {
	dir := opts.ProjectDir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		dir = wd
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("project folder %s: %w", dir, err)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("project folder %s is not a directory", dir)
	}
	cfg, cfgPath, err := LoadKluctlConfig(root, opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	p := &Project{Root: root, GitRoot: findGitRoot(root), ConfigPath: cfgPath, Config: cfg, Templates: NewTemplates(root), sensitive: map[string]struct{}{}}
	if cfgPath == "" {
		cfgPath = filepath.Join(root, ".kluctl.yaml")
	}
	p.Target, err = selectTarget(ctx, p.Templates, cfg, cfgPath, opts.Target)
	if err != nil {
		return nil, err
	}
	targetImages, err := fixedImagesFromValues(cfgTargetImages(cfg, opts.Target.Name))
	if err != nil {
		return nil, &FileError{Path: cfgPath, Field: "targets.images", Err: err}
	}
	p.Images = &ImageResolver{fixed: append(targetImages, opts.FixedImages...)}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	vars := NewVars()
	vars.Set("target", p.Target.Vars)
	vars.Set("args", p.Target.Args)
	l := &treeLoader{p: p, vars: varsLoader{root: root, tpl: p.Templates, cluster: opts.Cluster, getenv: getenv}}
	if err := l.loadProject(ctx, vars, root, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// SensitiveValues returns every value loaded from a sensitive vars source.
func (p *Project) SensitiveValues() []string {
	v := &Vars{Sensitive: p.sensitive}
	return v.SensitiveValues()
}

// ItemDirLabel returns the value of the kluctl.io/deployment-item-dir
// annotation for an item: its folder relative to the git root, or to the
// project root outside of git.
func (p *Project) ItemDirLabel(it *Item) string {
	base := p.Root
	if p.GitRoot != "" {
		base = p.GitRoot
	}
	rel, err := filepath.Rel(base, it.Dir)
	if err != nil {
		rel = it.RelDir
	}
	return filepath.ToSlash(rel)
}

func cfgTargetImages(cfg *KluctlConfig, name string) []Values {
	for _, t := range cfg.Targets {
		if t.Name == name {
			return t.Images
		}
	}
	return nil
}

// RenderTarget selects and renders only the target (context, args,
// discriminator), without loading the deployment tree; it needs no
// cluster. Commands use it to find the kube context to connect to.
func RenderTarget(ctx context.Context, opts LoadOptions) (*Target, error) {
	dir := opts.ProjectDir
	if dir == "" {
		dir = "."
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cfg, cfgPath, err := LoadKluctlConfig(root, opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	if cfgPath == "" {
		cfgPath = filepath.Join(root, ".kluctl.yaml")
	}
	return selectTarget(ctx, NewTemplates(root), cfg, cfgPath, opts.Target)
}
