package engine

import (
	"context"
	"sync"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/prune"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// Options select the project and target to load and tell the engine how to
// reach its cluster and report progress.
type Options struct {
	// ProjectDir is the absolute path of the project folder. Required.
	ProjectDir string
	// RepoRoot is the absolute path of the repository holding the project;
	// files may be referenced anywhere inside it. Empty means the closest
	// folder above ProjectDir that holds .git, or ProjectDir itself.
	RepoRoot string
	// ConfigPath is an explicit .kluctl.yaml (absolute, or relative to
	// ProjectDir); empty means ProjectDir/.kluctl.yaml or .kluctl.yml.
	ConfigPath string

	// Target names the target of .kluctl.yaml; empty for a project without
	// targets.
	Target string
	// TargetNameOverride replaces the target's name (-T).
	TargetNameOverride string
	// Context overrides the target's kube context.
	Context string
	// Args are the external args: data, never file names.
	Args map[string]any
	// FixedImages pin images.get_image() results; they win over the
	// target's images.
	FixedImages []project.FixedImage
	// Inclusion selects deployment items by tags and folders.
	Inclusion render.Inclusion
	// Discriminator overrides the target's discriminator.
	Discriminator string

	// Offline renders without a cluster; Cluster is not called.
	Offline bool
	// KubernetesVersion is the version Helm charts see; online it
	// defaults to the server's, offline to Helm's default.
	KubernetesVersion string
	// Cluster connects to the target's kube context. Required unless
	// Offline.
	Cluster ClusterProvider

	// Getenv is the environment systemEnvVars sources read; nil is an empty
	// environment.
	Getenv func(string) string
	// Progress receives progress, debug and warning messages; nil drops
	// them. It may be called from several goroutines at once.
	Progress func(Event)
	// ScratchDir is where temporary render trees go; empty means
	// DefaultScratchDir(Getenv). Whatever a load creates there is removed
	// when it returns, on success, error and cancel alike.
	ScratchDir string
	// RenderOutputDir keeps the rendered files there (see
	// render.Options.OutputDir); empty keeps nothing.
	RenderOutputDir string
	// Concurrency bounds parallel item rendering; 0 means 2x CPUs.
	Concurrency int
	// OpenTargetRepo serves the git refs and files of dynamic targets
	// (see project.LoadOptions.OpenTargetRepo); nil reads the project's
	// own git work tree.
	OpenTargetRepo func(ctx context.Context, url string) (project.TargetRepo, error)
	// FetchGit fetches the repository of a git include; the engine calls
	// release once the target is rendered. Nil makes git includes an
	// error.
	FetchGit func(ctx context.Context, url string, ref *project.GitRef) (src *project.RemoteSource, release func(), err error)
	// FetchOCI fetches the artifact of an OCI include; as FetchGit.
	FetchOCI func(ctx context.Context, url string, ref *project.OciRef) (src *project.RemoteSource, release func(), err error)
	// Decrypt decrypts SOPS files (vars files, manifests, Helm values);
	// nil leaves them encrypted.
	Decrypt project.DecryptFunc
	// PullChart pulls Helm charts that were not pre-pulled into
	// .helm-charts; nil makes them an error.
	PullChart func(ctx context.Context, cfg *helm.Config) (string, error)
}

// Cluster is a connection to the target's cluster.
type Cluster struct {
	// Clients talk to the API server.
	Clients *k8s.Clients
	// Name describes the cluster in prompts and messages.
	Name string
	// Context is the name of the kube context used, as command results
	// record it; empty when unknown.
	Context string
	// Index, when set, answers orphan searches from watches of the
	// cluster (a controller's many targets); nil lists directly.
	Index *prune.Index

	idOnce sync.Once
	id     string
	idErr  error
}

// ID returns the cluster's id (the UID of kube-system), read once.
func (c *Cluster) ID(ctx context.Context) (string, error) {
	c.idOnce.Do(func() { c.id, c.idErr = k8s.ClusterID(ctx, c.Clients) })
	return c.id, c.idErr
}

// ClusterProvider connects to a kube context ("" is the current one).
type ClusterProvider interface {
	Cluster(ctx context.Context, kubeContext string) (*Cluster, error)
}

// ClusterFunc adapts a function to ClusterProvider.
type ClusterFunc func(ctx context.Context, kubeContext string) (*Cluster, error)

// Cluster calls f.
func (f ClusterFunc) Cluster(ctx context.Context, kubeContext string) (*Cluster, error) {
	return f(ctx, kubeContext)
}

// Level is the importance of an Event.
type Level int

// Event levels.
const (
	// LevelInfo is progress a user watching a terminal wants to see.
	LevelInfo Level = iota
	// LevelWarning is something the user should know about.
	LevelWarning
	// LevelDebug is detail for --debug.
	LevelDebug
)

// Event is one progress message. Sensitive values are masked in Message
// once the target's vars are loaded.
type Event struct {
	Level   Level
	Message string
}
