package chartpull

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/registry"

	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// registryClient returns a Helm registry client for the OCI chart url,
// with the matching registry credential, else the docker config's logins.
func (p *Puller) registryClient(ociURL string) (*registry.Client, func(), error) {
	cred := p.opts.Registry.For(ociURL)
	var t TLS
	if cred != nil {
		t = cred.TLS
	}
	hc, err := t.httpClient(p.opts.Timeout)
	if err != nil {
		return nil, nil, err
	}
	opts := []registry.ClientOption{registry.ClientOptHTTPClient(hc), registry.ClientOptWriter(discard{})}
	cleanup := func() {}
	credsFile := p.opts.DockerConfig
	if credsFile == "" {
		// Never Helm's own default (a file under $HOME found through
		// process-wide settings): an empty store of our own.
		dir, err := os.MkdirTemp("", "kluctl-registry-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		credsFile = filepath.Join(dir, "config.json")
	}
	opts = append(opts, registry.ClientOptCredentialsFile(credsFile))
	if cred != nil {
		if cred.PlainHTTP {
			opts = append(opts, registry.ClientOptPlainHTTP())
		}
		switch {
		case cred.Username != "" || cred.Password != "":
			opts = append(opts, registry.ClientOptBasicAuth(cred.Username, cred.Password))
		case cred.Token != "":
			opts = append(opts, registry.ClientOptBasicAuth("", cred.Token))
		case cred.IdentityToken != "":
			opts = append(opts, registry.ClientOptBasicAuth("<token>", cred.IdentityToken))
		}
	}
	c, err := registry.NewClient(opts...)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return c, cleanup, nil
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// ociRef is the registry reference of an oci:// chart URL.
func ociRef(repo string) (string, error) {
	u, err := url.Parse(repo)
	if err != nil || u.Scheme != "oci" || u.Host == "" {
		return "", fmt.Errorf("repo %q is not an oci://<registry>/<repository> URL", repo)
	}
	return strings.TrimPrefix(repo, "oci://"), nil
}

// fetchOCI downloads the chart archive of cfg from its registry.
func (p *Puller) fetchOCI(ctx context.Context, cfg *helm.Config) ([]byte, error) {
	ref, err := ociRef(cfg.Repo)
	if err != nil {
		return nil, err
	}
	c, cleanup, err := p.registryClient(cfg.Repo)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := c.Pull(ref+":"+strings.ReplaceAll(cfg.ChartVersion, "+", "_"), registry.PullOptWithChart(true))
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{data: res.Chart.Data}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			if strings.Contains(r.err.Error(), "not found") {
				if vs, err := p.ociVersions(cfg); err == nil {
					return nil, &VersionNotFoundError{Chart: cfg.Name(), Version: cfg.ChartVersion, Where: cfg.Repo, Nearest: nearest(vs, cfg.ChartVersion, 5)}
				}
			}
			return nil, fmt.Errorf("pull %s:%s: %w", cfg.Repo, cfg.ChartVersion, r.err)
		}
		return r.data, nil
	}
}

// ociVersions lists the chart versions (tags) of cfg's repository.
func (p *Puller) ociVersions(cfg *helm.Config) ([]string, error) {
	ref, err := ociRef(cfg.Repo)
	if err != nil {
		return nil, err
	}
	c, cleanup, err := p.registryClient(cfg.Repo)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return c.Tags(ref)
}
