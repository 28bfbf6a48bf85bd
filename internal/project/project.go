package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// LoadOptions control how a project is loaded.
type LoadOptions struct {
	// ProjectDir is the absolute path of the project folder. Required.
	ProjectDir string
	// RepoRoot is the absolute path of the repository holding the
	// project: files may be referenced anywhere below it. Empty means the
	// closest folder at or above ProjectDir holding .git, else ProjectDir.
	RepoRoot string
	// ConfigPath is an explicit .kluctl.yaml (-c/--project-config),
	// absolute or relative to ProjectDir.
	ConfigPath string
	Target     TargetOptions
	// Cluster reads clusterConfigMap/clusterSecret sources; nil when offline.
	Cluster ClusterReader
	// Connect, when set, is called once the target is rendered (its kube
	// context may be a template over args) and returns the reader for the
	// target's cluster, replacing Cluster.
	Connect func(ctx context.Context, t *Target) (ClusterReader, error)
	// Getenv reads environment variables for systemEnvVars sources; nil
	// is an empty environment.
	Getenv func(string) string
	// FixedImages come from --fixed-image and --fixed-images-file; they
	// win over the target's images.
	FixedImages []FixedImage
	// Debug receives debug messages; nil drops them.
	Debug func(string)
	// OpenTargetRepo opens the git repository of dynamic targets
	// (targetConfig): url is targetConfig.project.url, "" the repository
	// holding the project, whose files are read at paths relative to
	// RepoRoot. Nil means OpenGitTargetRepo, which needs the project in a
	// git work tree; the GitOps controller, whose checkouts have no .git,
	// sets it to serve refs and files from its git cache.
	OpenTargetRepo func(ctx context.Context, url string) (TargetRepo, error)
	// FetchGit fetches the repositories of git includes; nil makes a git
	// include an error.
	FetchGit FetchGitFunc
	// FetchOCI fetches the artifacts of OCI includes; nil makes an OCI
	// include an error.
	FetchOCI FetchOCIFunc
	// Decrypt decrypts SOPS-encrypted vars files; nil leaves them as they
	// are.
	Decrypt DecryptFunc
}

// Project is a loaded project for one target.
type Project struct {
	// Root is the resolved, absolute project folder.
	Root string
	// RepoRoot is the resolved repository root; every file the project
	// refers to must be below it.
	RepoRoot string
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
	// RootVars are the vars of the root deployment project: target, args
	// and the root deployment.yml's vars sources.
	RootVars *Vars
	// Deployment is the root deployment.yml as loaded (rendered), and
	// Included the deployment.yml each include item loaded; command
	// results record them.
	Deployment *DeploymentConfig
	Included   map[*ItemConfig]*DeploymentConfig

	sensitive map[string]struct{}
	// decrypted are the values of SOPS-encrypted vars files.
	decrypted []string
}

// DecryptedValues returns the values of the SOPS-encrypted vars files
// (also among SensitiveValues).
func (p *Project) DecryptedValues() []string { return p.decrypted }

// Item is one deployment item with everything needed to render it.
type Item struct {
	Config *ItemConfig
	// Dir is the absolute item folder for path items, "" otherwise.
	Dir string
	// RelDir is Dir relative to the project root ("." for the root); for
	// an item from a git include, the source's ID and Dir relative to it.
	RelDir string
	// SourceRoot is the root of the repository the item's files come
	// from: the project's RepoRoot, or the export of a git include;
	// SourceID is "" for the former, a folder name for the latter.
	SourceRoot, SourceID string
	// DirErr is set when the item's folder does not exist; rendering the
	// item fails with it, excluding the item does not.
	DirErr error
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
	env, err := newTargetEnv(opts)
	if err != nil {
		return nil, err
	}
	root, repoRoot := env.expander.root, env.expander.repoRoot
	gitRoot := ""
	if isGitWorkTree(repoRoot) {
		gitRoot = repoRoot
	}
	p := &Project{Root: root, RepoRoot: repoRoot, GitRoot: gitRoot, ConfigPath: env.loadedPath, Config: env.cfg, Templates: env.tpl, sensitive: map[string]struct{}{}, Included: map[*ItemConfig]*DeploymentConfig{}}
	var tc *TargetConfig
	p.Target, tc, err = selectTarget(ctx, env, opts.Target)
	if err != nil {
		return nil, err
	}
	cluster := opts.Cluster
	if opts.Connect != nil {
		if cluster, err = opts.Connect(ctx, p.Target); err != nil {
			return nil, err
		}
	}
	targetImages, err := fixedImagesFromValues(tc.Images)
	if err != nil {
		return nil, &FileError{Path: env.cfgPath, Field: "targets.images", Err: err}
	}
	p.Images = &ImageResolver{fixed: append(targetImages, opts.FixedImages...)}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	debug := opts.Debug
	if debug == nil {
		debug = func(string) {}
	}
	vars := NewVars()
	vars.Set("target", p.Target.Vars)
	vars.Set("args", p.Target.Args)
	l := &treeLoader{p: p, vars: varsLoader{root: repoRoot, decrypt: opts.Decrypt, decrypted: &p.decrypted, tpl: p.Templates, cluster: cluster, getenv: getenv, debug: debug, fetchGit: opts.FetchGit, openRepo: env.expander.repo}, debug: debug, fetchGit: opts.FetchGit, fetchOCI: opts.FetchOCI}
	if err := l.loadProject(ctx, vars, root, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// resolveRoots checks and resolves the project folder and repository root.
func resolveRoots(projectDir, repoRoot string) (string, string, error) {
	if !filepath.IsAbs(projectDir) {
		return "", "", fmt.Errorf("project folder %q must be an absolute path", projectDir)
	}
	root, err := filepath.EvalSymlinks(projectDir)
	if err != nil {
		return "", "", fmt.Errorf("project folder %s: %w", projectDir, err)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("project folder %s is not a directory", projectDir)
	}
	if repoRoot == "" {
		repoRoot = findGitRoot(root)
		if repoRoot == "" {
			repoRoot = root
		}
	} else {
		if !filepath.IsAbs(repoRoot) {
			return "", "", fmt.Errorf("repository root %q must be an absolute path", repoRoot)
		}
		if repoRoot, err = filepath.EvalSymlinks(repoRoot); err != nil {
			return "", "", fmt.Errorf("repository root: %w", err)
		}
	}
	if !isInside(repoRoot, root) {
		return "", "", fmt.Errorf("project folder %s is not inside the repository %s", root, repoRoot)
	}
	return root, repoRoot, nil
}

// SensitiveValues returns every value loaded from a sensitive vars source.
func (p *Project) SensitiveValues() []string {
	v := &Vars{Sensitive: p.sensitive}
	return v.SensitiveValues()
}

// ItemDirLabel returns the value of the kluctl.io/deployment-item-dir
// annotation for an item: its folder relative to the root of the
// repository it comes from (as the original's RelToSourceItemDir).
func (p *Project) ItemDirLabel(it *Item) string {
	base := p.RepoRoot
	if it.SourceRoot != "" {
		base = it.SourceRoot
	}
	rel, err := filepath.Rel(base, it.Dir)
	if err != nil {
		rel = it.RelDir
	}
	return filepath.ToSlash(rel)
}

// RenderTarget selects and renders only the target (context, args,
// discriminator), without loading the deployment tree; it needs no
// cluster. The engine uses it to find the kube context to connect to.
func RenderTarget(ctx context.Context, opts LoadOptions) (*Target, error) {
	env, err := newTargetEnv(opts)
	if err != nil {
		return nil, err
	}
	t, _, err := selectTarget(ctx, env, opts.Target)
	return t, err
}

// newTargetEnv resolves the project folders and loads .kluctl.yaml.
func newTargetEnv(opts LoadOptions) (*targetEnv, error) {
	root, repoRoot, err := resolveRoots(opts.ProjectDir, opts.RepoRoot)
	if err != nil {
		return nil, err
	}
	cfg, cfgPath, err := LoadKluctlConfig(root, opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	env := &targetEnv{tpl: NewTemplates(root), cfg: cfg, cfgPath: cfgPath, loadedPath: cfgPath, expander: newTargetExpander(root, repoRoot, opts.OpenTargetRepo)}
	if cfgPath == "" {
		env.cfgPath = filepath.Join(root, ".kluctl.yaml")
	}
	return env, nil
}
