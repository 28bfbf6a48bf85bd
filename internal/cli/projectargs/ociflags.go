package projectargs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/ocisource"
	"github.com/kluctl-go/kluctl/internal/project"
)

// ociFetcher returns the engine's OCI include fetcher: a cache shared by
// every kluctl process of the user (made on first use), the registry
// credentials of the --registry-* flags, the KLUCTL_REGISTRY_<idx>_*
// variables and the docker config, and the local overrides.
func (f *Flags) ociFetcher(fa *factory.Factory) (func(context.Context, string, *project.OciRef) (*project.RemoteSource, func(), error), error) {
	overrides, err := f.ociOverrides(fa)
	if err != nil {
		return nil, err
	}
	reg, err := f.OCIRegistry(fa)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	var inc *ocisource.Includes
	var initErr error
	return func(ctx context.Context, url string, ref *project.OciRef) (*project.RemoteSource, func(), error) {
		once.Do(func() {
			dir := ociCacheDir(fa.Getenv)
			fa.Debugf("using the oci cache %s", dir)
			c, err := ocisource.New(ocisource.Options{Dir: dir})
			if err != nil {
				initErr = err
				return
			}
			inc = &ocisource.Includes{Cache: c, Registry: reg, Overrides: overrides}
		})
		if initErr != nil {
			return nil, nil, initErr
		}
		return inc.Fetch(ctx, url, ref)
	}, nil
}

// ociOverrides parses --local-oci-override and --local-oci-group-override.
func (f *Flags) ociOverrides(fa *factory.Factory) ([]ocisource.Override, error) {
	var out []ocisource.Override
	for _, o := range []struct {
		vals  []string
		group bool
		flag  string
	}{{f.Compat.LocalOciOverride, false, "--local-oci-override"}, {f.Compat.LocalOciGroupOverride, true, "--local-oci-group-override"}} {
		for _, v := range o.vals {
			ov, err := ocisource.ParseOverride(v, o.group)
			if err != nil {
				return nil, fmt.Errorf("invalid %s: %w", o.flag, err)
			}
			if ov.Dir, err = fa.Abs(fa.ExpandHome(ov.Dir)); err != nil {
				return nil, err
			}
			out = append(out, ov)
		}
	}
	return out, nil
}

// OCIRegistry returns how OCI registries are reached: the credentials of
// the --registry-* flags and the KLUCTL_REGISTRY_<idx>_* variables, and
// for repositories without one, the logins of the docker config
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json).
func (f *Flags) OCIRegistry(fa *factory.Factory) (*ocisource.Registry, error) {
	rc, err := f.registryCredentials(fa)
	if err != nil {
		return nil, err
	}
	if err := rc.Compile(); err != nil {
		return nil, err
	}
	reg := &ocisource.Registry{Credentials: rc}
	if p := dockerConfigPath(fa.Getenv); p != "" {
		reg.Keychain = &ocisource.DockerConfig{Path: p}
	}
	return reg, nil
}

// dockerConfigPath is the docker config file of the environment, "" when
// there is none.
func dockerConfigPath(getenv func(string) string) string {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	if h := getenv("HOME"); h != "" {
		p := filepath.Join(h, ".docker", "config.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// ociCacheDir is where pulled OCI artifacts are cached, next to the git
// cache.
func ociCacheDir(getenv func(string) string) string {
	return filepath.Join(filepath.Dir(gitCacheDir(getenv)), "oci")
}

// AddOCIPushFlags registers what `kluctl oci push` takes of the project
// flags, as the original: --project-dir, --timeout and the --registry-*
// credentials.
func (f *Flags) AddOCIPushFlags(cmd *cobra.Command, fa *factory.Factory) {
	all := &cobra.Command{}
	f.AddProjectDirFlags(all, fa)
	f.Compat.AddCredentialFlags(all)
	all.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "project-dir" || fl.Name == "timeout" || strings.HasPrefix(fl.Name, "registry-") {
			cmd.Flags().AddFlag(fl)
		}
	})
}
