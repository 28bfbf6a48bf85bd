package simcluster

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DefaultVersion is the Kubernetes version used when Options.Version is empty.
const DefaultVersion = "1.34.4"

// kwokVersion is the kwok release built next to Kubernetes. It is built in its
// own module, with its own dependency versions.
const kwokVersion = "v0.8.0"

// DefaultContext is the name of the context, cluster and user in the
// kubeconfig written by Start.
const DefaultContext = "simcluster"

// Options configures Build and Start.
type Options struct {
	// Version is the Kubernetes version, for example "1.34.4" (a leading "v" is
	// accepted). Defaults to DefaultVersion.
	Version string
	// Nodes is the number of kwok nodes to create. Defaults to 1.
	Nodes int
	// CacheDir is the root of the binary cache. Defaults to
	// ${XDG_CACHE_HOME:-$HOME/.cache}/kluctl-go.
	CacheDir string
	// Stdout and Stderr receive the output of the build and of the cluster
	// processes. When nil, the output goes to log files in the work dir (and,
	// for the build, to build.log in the version's cache dir).
	Stdout, Stderr io.Writer
	// WorkDir holds certificates, the etcd data, the kubeconfig and logs. When
	// empty, Start creates a temporary directory and Stop removes it.
	WorkDir string
	// KeepWorkDir keeps a temporary work dir after Stop, for debugging.
	KeepWorkDir bool
	// Progress receives progress and error messages of RunMain and Up; nil
	// discards them.
	Progress io.Writer
	// Context is the kube context name in the kubeconfig. Defaults to
	// DefaultContext.
	Context string

	// detached starts the processes in their own sessions, without a parent
	// death signal, so that they survive the calling process (see Up).
	detached bool
}

// withDefaults returns a copy of o with empty fields filled in.
func (o Options) withDefaults() (Options, error) {
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	o.Version = strings.TrimPrefix(o.Version, "v")
	if len(strings.Split(o.Version, ".")) != 3 || !strings.HasPrefix(o.Version, "1.") {
		return o, fmt.Errorf("kubernetes version %q: want 1.MINOR.PATCH", o.Version)
	}
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	if o.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return o, err
		}
		o.CacheDir = dir
	}
	if o.Context == "" {
		o.Context = DefaultContext
	}
	return o, nil
}

// DefaultCacheDir returns ${XDG_CACHE_HOME:-$HOME/.cache}/kluctl-go.
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find cache dir: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kluctl-go"), nil
}

// versionDir is the cache dir for one Kubernetes version.
func (o Options) versionDir() string {
	return filepath.Join(o.CacheDir, "k8s-"+o.Version)
}

// kubeModuleVersion is the k8s.io/kubernetes module version, e.g. v1.34.4.
func (o Options) kubeModuleVersion() string { return "v" + o.Version }

// stagingModuleVersion is the version of the staging modules (k8s.io/api,
// k8s.io/client-go, ...) released with o.Version, e.g. v0.34.4.
func (o Options) stagingModuleVersion() string {
	return "v0." + strings.TrimPrefix(o.Version, "1.")
}

// minor returns the minor version, e.g. "34".
func (o Options) minor() string { return strings.Split(o.Version, ".")[1] }
