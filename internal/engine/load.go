package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render"
)

// Target is a loaded project rendered for one target: what every cluster
// command works on.
type Target struct {
	// Project is the loaded project (config, target, deployment items).
	Project *project.Project
	// Rendered holds the rendered deployment items and their objects.
	Rendered *render.Result
	// Cluster is the connection to the target's cluster; nil offline.
	Cluster *Cluster
	// ObjectsHash is a hash of the rendered objects of the deployed items
	// (see ObjectsHash).
	ObjectsHash string

	em     *emitter
	masker *diff.Masker
	opts   Options
	// loadedAt is when loading started: the start time of the command
	// results of this target.
	loadedAt   time.Time
	headerOnce sync.Once
	hdr        *header
}

// Name is the target's name (after -T), empty for a project without
// targets.
func (t *Target) Name() string { return t.Rendered.Target }

// Discriminator is the target's discriminator (after the override).
func (t *Target) Discriminator() string { return t.Rendered.Discriminator }

// Vars are the variables of the project root: target, args and the vars of
// the root deployment.yml.
func (t *Target) Vars() map[string]any { return t.Project.RootVars.Values }

// ClusterName describes the target's cluster for prompts.
func (t *Target) ClusterName() string {
	if t.Cluster == nil {
		return "<offline>"
	}
	return t.Cluster.Name
}

// Masker masks the target's secrets in text.
func (t *Target) Masker() *diff.Masker { return t.masker }

// Load loads the project of opts and renders the chosen target. Online, it
// connects to the target's cluster as soon as the target (whose context may
// be a template over args) is rendered; the cluster then serves cluster
// vars sources and tells Helm the server's version and APIs.
func Load(ctx context.Context, opts Options) (*Target, error) {
	if !filepath.IsAbs(opts.ProjectDir) {
		return nil, fmt.Errorf("project folder %q must be an absolute path", opts.ProjectDir)
	}
	em := newEmitter(opts.Progress)
	lopts := project.LoadOptions{
		ProjectDir: opts.ProjectDir,
		RepoRoot:   opts.RepoRoot,
		ConfigPath: opts.ConfigPath,
		Target: project.TargetOptions{
			Name: opts.Target, NameOverride: opts.TargetNameOverride,
			Args: opts.Args, Context: opts.Context,
		},
		Getenv:         opts.Getenv,
		FixedImages:    opts.FixedImages,
		Debug:          func(msg string) { em.debug("%s", msg) },
		OpenTargetRepo: opts.OpenTargetRepo,
		Decrypt:        opts.Decrypt,
	}
	// Remote includes are released once the target is rendered.
	var mu sync.Mutex
	var releases []func()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range releases {
			r()
		}
	}()
	keep := func(src *project.RemoteSource, release func(), err error) (*project.RemoteSource, error) {
		if err != nil {
			return nil, err
		}
		mu.Lock()
		releases = append(releases, release)
		mu.Unlock()
		em.debug("include %s at %s", src.URL, src.Commit)
		return src, nil
	}
	if opts.FetchGit != nil {
		lopts.FetchGit = func(ctx context.Context, url string, ref *project.GitRef) (*project.RemoteSource, error) {
			return keep(opts.FetchGit(ctx, url, ref))
		}
	}
	if opts.FetchOCI != nil {
		lopts.FetchOCI = func(ctx context.Context, url string, ref *project.OciRef) (*project.RemoteSource, error) {
			return keep(opts.FetchOCI(ctx, url, ref))
		}
	}
	t := &Target{em: em, opts: opts, loadedAt: time.Now()}
	if !opts.Offline {
		if opts.Cluster == nil {
			return nil, errors.New("no cluster connection was configured (use offline mode to render without one)")
		}
		lopts.Connect = func(ctx context.Context, tgt *project.Target) (project.ClusterReader, error) {
			c, err := connect(ctx, opts.Cluster, tgt.Context)
			if err != nil {
				return nil, err
			}
			t.Cluster = c
			return project.DynamicClusterReader{Client: c.Clients.Dynamic, Discovery: c.Clients.Discovery}, nil
		}
	}

	em.debug("loading project %s", opts.ProjectDir)
	p, err := project.Load(ctx, lopts)
	if err != nil {
		return nil, err
	}
	t.Project = p
	t.masker = diff.NewMasker(p.SensitiveValues())
	em.setMasker(t.masker)

	scratchParent := opts.ScratchDir
	if scratchParent == "" {
		scratchParent = DefaultScratchDir(opts.Getenv)
	}
	scratch, cleanup, err := newScratch(scratchParent)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	ropts := render.Options{
		KubernetesVersion: opts.KubernetesVersion,
		OutputDir:         opts.RenderOutputDir,
		ScratchDir:        scratch,
		Inclusion:         &opts.Inclusion,
		Concurrency:       opts.Concurrency,
		PullChart:         opts.PullChart,
		Decrypt:           opts.Decrypt,
		NewMasker:         func(v []string) func(string) string { return diff.NewMasker(v).String },
	}
	if t.Cluster != nil {
		c := t.Cluster.Clients
		c.FreshDiscovery()
		if ropts.KubernetesVersion == "" {
			if ropts.KubernetesVersion, err = c.ServerVersion(); err != nil {
				return nil, err
			}
		}
		if ropts.APIVersions, err = c.APIVersions(); err != nil {
			return nil, err
		}
		ropts.Scope = k8s.NewScope(c.Mapper)
	}
	start := time.Now()
	em.info("Rendering target %q...", p.Target.Name)
	res, err := render.Render(ctx, p, ropts)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		em.warn("%s", w)
	}
	for _, it := range res.Items {
		switch {
		case it.Excluded:
			em.debug("deployment item %s: excluded", it.Name)
		case it.Barrier && len(it.Objects) == 0:
			em.debug("barrier %s", it.Name)
		default:
			em.debug("deployment item %s: %d objects", it.Name, len(it.Objects))
		}
	}
	if opts.Discriminator != "" {
		res.OverrideDiscriminator(opts.Discriminator)
	}
	if len(res.DecryptedValues) != 0 {
		// Values decrypted while rendering are masked from here on.
		t.masker = diff.NewMasker(res.SensitiveValues)
		em.setMasker(t.masker)
	}
	t.Rendered = res
	if t.ObjectsHash, err = ObjectsHash(res); err != nil {
		return nil, err
	}
	em.info("Rendered %d objects of %d deployment items in %s", res.ObjectCount(), len(res.Items), time.Since(start).Round(time.Millisecond))
	return t, nil
}

// connect connects to the target's kube context (already rendered, with
// the --context override applied).
func connect(ctx context.Context, provider ClusterProvider, kubeContext string) (*Cluster, error) {
	c, err := provider.Cluster(ctx, kubeContext)
	if err != nil {
		return nil, err
	}
	if c == nil || c.Clients == nil {
		return nil, fmt.Errorf("no cluster connection for context %q", kubeContext)
	}
	return c, nil
}
