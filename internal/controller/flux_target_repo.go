package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/project"
)

// targetRepos serves the git repositories of dynamic targets to one load
// of a project, out of the controller's git cache: the project's own
// repository (url "") is ownURL, fetched with ownAuth's credentials (for a
// Flux source: the GitRepository's spec.url and spec.secretRef; for
// gitops.kluctl.io: the source and its credentials); any other repository
// is fetched without credentials. A Flux source-controller pulls one
// branch only, so the branches and tags come from this fetch.
type targetRepos struct {
	r       *Reconciler
	ownURL  string
	ownAuth func(context.Context) (*gitsource.Auth, error)
	// ownErr explains why the own repository cannot be listed.
	ownErr error

	mu       sync.Mutex
	releases []func()
	// err is the first failure to reach a repository or list its refs:
	// targets missing because of it are not gone (see flux_multi.go).
	err error
}

func (r *Reconciler) newFluxTargetRepos(src *fluxSource) *targetRepos {
	t := &targetRepos{r: r, ownURL: src.url, ownAuth: func(ctx context.Context) (*gitsource.Auth, error) { return r.fluxSourceAuth(ctx, src) }}
	if src.kind != "GitRepository" || src.url == "" {
		t.ownErr = fmt.Errorf("the branches and tags of the project's own repository need a GitRepository source, not a %s", src.kind)
	}
	return t
}

// open implements engine.Options.OpenTargetRepo.
func (t *targetRepos) open(ctx context.Context, url string) (project.TargetRepo, error) {
	var auth *gitsource.Auth
	if url == "" {
		if t.ownErr != nil {
			return nil, t.fail(t.ownErr)
		}
		url = t.ownURL
		a, err := t.ownAuth(ctx)
		if err != nil {
			return nil, t.fail(err)
		}
		auth = a
	}
	repo, release, err := t.r.sources.Repository(ctx, url, auth)
	if err != nil {
		return nil, t.fail(err)
	}
	t.mu.Lock()
	t.releases = append(t.releases, release)
	t.mu.Unlock()
	return recordingRepo{TargetRepo: project.GitTargetRepo{Repo: repo}, t: t}, nil
}

func (t *targetRepos) fail(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
	return err
}

// failure returns the first failure to reach a repository.
func (t *targetRepos) failure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// release gives the mirrors back to the cache; the load is over.
func (t *targetRepos) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.releases {
		f()
	}
	t.releases = nil
}

// recordingRepo records a failure to list the refs of a repository.
type recordingRepo struct {
	project.TargetRepo
	t *targetRepos
}

// Refs implements project.TargetRepo.
func (g recordingRepo) Refs(ctx context.Context) ([]string, error) {
	refs, err := g.TargetRepo.Refs(ctx)
	if err != nil {
		g.t.fail(err)
	}
	return refs, err
}

// fluxSourceAuth reads the credentials of a GitRepository from its
// spec.secretRef, with Flux's keys: username and password, identity and
// known_hosts for ssh, ca.crt (or the older caFile) for https.
func (r *Reconciler) fluxSourceAuth(ctx context.Context, src *fluxSource) (*gitsource.Auth, error) {
	if src.secretRef == "" {
		return nil, nil
	}
	var sec corev1.Secret
	if err := r.apiReader.Get(ctx, types.NamespacedName{Namespace: src.namespace, Name: src.secretRef}, &sec); err != nil {
		return nil, fmt.Errorf("secret '%s/%s' of %s '%s': %w", src.namespace, src.secretRef, src.kind, src.name, err)
	}
	d := sec.Data
	auth := &gitsource.Auth{
		Username: string(d["username"]), Password: string(d["password"]),
		SSHKey: d["identity"], KnownHosts: d["known_hosts"], CABundle: d["ca.crt"],
	}
	if len(auth.CABundle) == 0 {
		auth.CABundle = d["caFile"]
	}
	return auth, nil
}

// load loads the target of fr from the artifact's files at artDir, with
// the dynamic targets of the project expanded from the source's
// repositories.
func (fr *fluxRun) load(rc *run, src *fluxSource, artDir string) error {
	dir, err := (&source{path: fr.fkd.Spec.Path}).projectDir(artDir)
	if err != nil {
		return err
	}
	repos := fr.r.newFluxTargetRepos(src)
	defer repos.release()
	rc.openTargetRepo = repos.open
	rc.includeAuth = func(ctx context.Context, url string) (*gitsource.Auth, error) {
		return rc.fluxIncludeAuth(ctx, src, url)
	}
	defer func() { rc.openTargetRepo, rc.includeAuth = nil, nil }()
	return rc.load(dir, artDir)
}

// fluxIncludeAuth returns the credentials of a git include of a project
// from a Flux source: the source's own credentials (its GitRepository's
// secretRef, as the original re-used them), but only for repositories on
// the source's host, so they are never sent elsewhere.
func (rc *run) fluxIncludeAuth(ctx context.Context, src *fluxSource, url string) (*gitsource.Auth, error) {
	if src.kind != "GitRepository" || src.url == "" || src.secretRef == "" {
		return nil, nil
	}
	iu, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, err
	}
	su, err := gitinfo.ParseURL(src.url)
	if err != nil || !strings.EqualFold(iu.Host, su.Host) || iu.Scheme != su.Scheme {
		return nil, nil
	}
	auth, err := rc.r.fluxSourceAuth(ctx, src)
	if err != nil || auth == nil {
		return auth, err
	}
	rc.addSecret(auth.Password)
	rc.addSecret(strings.TrimSpace(string(auth.SSHKey)))
	return auth, nil
}
