package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/ocisource"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/render"
)

// prepare fetches the source and loads and renders the target, recording
// the observed commit. Fields whose support has not landed give errors.
func (rc *run) prepare() error {
	spec := &rc.kd.Spec
	if d := spec.Decryption; d != nil && d.Provider != "sops" {
		return fmt.Errorf("spec.decryption.provider: %q is not supported (only sops)", d.Provider)
	}
	if len(spec.SourceOverrides) != 0 {
		return fmt.Errorf("spec.sourceOverrides: source overrides are %w", errNotSupported)
	}
	src, err := sourceOf(rc.kd)
	if err != nil {
		return err
	}
	if src.oci != nil {
		return rc.prepareOCI(src)
	}
	auth, err := rc.gitAuth(src)
	if err != nil {
		return err
	}
	rc.checkout, err = rc.r.sources.Checkout(rc.ctx, src.url, src.ref, auth)
	if err != nil {
		return fmt.Errorf("failed to clone git source: %w", err)
	}
	rc.kd.Status.ObservedCommit = rc.checkout.Commit
	dir, err := src.projectDir(rc.checkout.Dir)
	if err != nil {
		return err
	}
	// Dynamic targets list the branches and tags of the source.
	repos := &targetRepos{r: rc.r, ownURL: src.url, ownAuth: func(context.Context) (*gitsource.Auth, error) { return auth, nil }}
	defer repos.release()
	rc.openTargetRepo = repos.open
	// Git includes use spec.credentials.git.
	rc.includeAuth = func(_ context.Context, url string) (*gitsource.Auth, error) { return rc.gitAuthURL(url, src.url) }
	defer func() { rc.openTargetRepo, rc.includeAuth = nil, nil }()
	return rc.load(dir, rc.checkout.Dir)
}

// prepareOCI pulls the artifact of an OCI source with
// spec.credentials.oci and loads the project from it. The artifact is
// released once the target is rendered (the engine reads no project file
// later); the commit observed is the git commit the artifact was pushed
// from, else its digest.
func (rc *run) prepareOCI(src *source) error {
	reg, err := rc.ociRegistry()
	if err != nil {
		return err
	}
	cache, err := rc.ociCache()
	if err != nil {
		return err
	}
	art, err := cache.Pull(rc.ctx, reg, src.url, *src.oci)
	if err != nil {
		return fmt.Errorf("failed to pull OCI source: %w", err)
	}
	defer art.Release()
	rc.kd.Status.ObservedCommit = art.Digest
	if gi := art.GitInfo(); gi != nil {
		rc.artifactGitInfo = gi
		if gi.Commit != "" {
			rc.kd.Status.ObservedCommit = gi.Commit
		}
	}
	dir, err := src.projectDir(art.Dir)
	if err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("spec.source.oci.path: folder %q does not exist in %s", src.path, art.URL)
	}
	// Git includes of the project use spec.credentials.git.
	rc.includeAuth = func(_ context.Context, url string) (*gitsource.Auth, error) { return rc.gitAuthURL(url, src.url) }
	defer func() { rc.includeAuth = nil }()
	return rc.load(dir, art.Dir)
}

// load loads and renders the target of the project in projectDir (inside
// the source's files at repoRoot) through the engine.
func (rc *run) load(projectDir, repoRoot string) error {
	opts, err := rc.engineOptions(projectDir, repoRoot)
	if err != nil {
		return err
	}
	t, err := engine.Load(rc.ctx, opts)
	if err != nil {
		return err
	}
	rc.target = t
	rc.addSecrets(t.Rendered.SensitiveValues...)
	return nil
}

// engineOptions turns the spec into engine options: args are data, the
// environment is empty (a KluctlDeployment cannot read the controller's).
func (rc *run) engineOptions(projectDir, repoRoot string) (engine.Options, error) {
	spec := &rc.kd.Spec
	opts := engine.Options{
		ProjectDir: projectDir,
		RepoRoot:   repoRoot,
		Target:     deref(spec.Target),
		Getenv:     rc.r.secretStoreEnv,
		Cluster:    rc.clusterProvider(),
		ScratchDir: rc.r.opts.ScratchDir,
		Inclusion: render.Inclusion{
			IncludeTags: spec.IncludeTags, ExcludeTags: spec.ExcludeTags,
			IncludeDirs: spec.IncludeDeploymentDirs, ExcludeDirs: spec.ExcludeDeploymentDirs,
		},
		TargetNameOverride: deref(spec.TargetNameOverride),
		Context:            deref(spec.Context),
		Discriminator:      rc.discriminator,
		OpenTargetRepo:     rc.openTargetRepo,
	}
	if rc.includeAuth != nil {
		opts.FetchGit = (&gitsource.Includes{Cache: rc.r.sources, Auth: rc.includeAuth}).Fetch
	}
	// OCI includes use spec.credentials.oci.
	reg, err := rc.ociRegistry()
	if err != nil {
		return opts, err
	}
	cache, err := rc.ociCache()
	if err != nil {
		return opts, err
	}
	opts.FetchOCI = (&ocisource.Includes{Cache: cache, Registry: reg}).Fetch
	if opts.PullChart, err = rc.chartPuller(); err != nil {
		return opts, err
	}
	opts.Decrypt = rc.decrypt()
	if spec.Args != nil && len(spec.Args.Raw) != 0 {
		if err := json.Unmarshal(spec.Args.Raw, &opts.Args); err != nil {
			return opts, fmt.Errorf("spec.args: %w", err)
		}
	}
	for i, img := range spec.Images {
		b, err := json.Marshal(img)
		if err != nil {
			return opts, err
		}
		var fi project.FixedImage
		if err := json.Unmarshal(b, &fi); err != nil {
			return opts, fmt.Errorf("spec.images[%d]: %w", i, err)
		}
		opts.FixedImages = append(opts.FixedImages, fi)
	}
	return opts, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
