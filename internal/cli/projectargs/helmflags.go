package projectargs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kluctl-go/kluctl/internal/chartpull"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// Puller returns the chart puller of the --helm-* and --registry-* flags,
// the KLUCTL_HELM_<idx>_* and KLUCTL_REGISTRY_<idx>_* variables and
// ~/.docker/config.json, pulling git charts through the git include cache.
func (f *Flags) Puller(fa *factory.Factory) (*chartpull.Puller, error) {
	hc, err := f.helmCredentials(fa)
	if err != nil {
		return nil, err
	}
	rc, err := f.registryCredentials(fa)
	if err != nil {
		return nil, err
	}
	fetch, err := f.gitFetcher(fa)
	if err != nil {
		return nil, err
	}
	opts := chartpull.Options{Helm: hc, Registry: rc, FetchGit: fetch}
	if h := fa.Getenv("HOME"); h != "" {
		p := filepath.Join(h, ".docker", "config.json")
		if _, err := os.Stat(p); err == nil {
			opts.DockerConfig = p
		}
	}
	return chartpull.New(opts)
}

// cliChartCacheMaxAge is how long a cached chart stays unused.
const cliChartCacheMaxAge = 30 * 24 * time.Hour

// chartCacheDir is where charts that were not pre-pulled are cached.
func chartCacheDir(getenv func(string) string) string {
	return filepath.Join(filepath.Dir(gitCacheDir(getenv)), "helm-charts")
}

// pullChart returns the engine's PullChart: the shared chart cache.
func (f *Flags) pullChart(fa *factory.Factory) (func(context.Context, *helm.Config) (string, error), error) {
	p, err := f.Puller(fa)
	if err != nil {
		return nil, err
	}
	dir := chartCacheDir(fa.Getenv)
	// Copies of branch charts are made per commit; what no command used
	// for a month goes.
	chartpull.PruneCache(dir, cliChartCacheMaxAge)
	return func(ctx context.Context, cfg *helm.Config) (string, error) {
		fa.Debugf("pulling helm chart %s %s into the cache %s", cfg.Name(), cfg.Version(), dir)
		return p.Cached(ctx, cfg, dir)
	}, nil
}

// credEntries groups flag values by their key: "<host>/<path>" or, in the
// deprecated form "<credentialsId>:<value>", the credentials id.
type credEntries[T any] struct {
	order []string
	byKey map[string]*T
	mk    func(key string, deprecatedID bool) *T
}

func (c *credEntries[T]) get(key string, deprecatedID bool) *T {
	k := key
	if deprecatedID {
		k = "id:" + key
	}
	if c.byKey == nil {
		c.byKey = map[string]*T{}
	}
	e := c.byKey[k]
	if e == nil {
		e = c.mk(key, deprecatedID)
		c.byKey[k] = e
		c.order = append(c.order, k)
	}
	return e
}

func (c *credEntries[T]) list() []*T {
	out := make([]*T, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, c.byKey[k])
	}
	return out
}

// splitCred splits a flag value: "<host>/<path>=<value>" or, when allowID,
// the deprecated "<credentialsId>:<value>". needValue=false allows a bare
// "<host>/<path>" (boolean flags).
func splitCred(flag, s string, allowID, needValue bool) (key, val string, id bool, err error) {
	// A boolean flag's value is a bare <host>/<path> (which may hold a
	// port's colon); only flags with a value have the deprecated form.
	if allowID && needValue && !strings.Contains(s, "=") {
		if k, v, ok := strings.Cut(s, ":"); ok && !strings.Contains(v, ":") {
			return k, v, true, nil
		}
	}
	key, val, ok := strings.Cut(s, "=")
	if key == "" || (needValue && !ok) {
		return "", "", false, fmt.Errorf("invalid --%s: expected the form <host>/<path>=<value>", flag)
	}
	return key, val, false, nil
}

func (f *Flags) helmCredentials(fa *factory.Factory) (chartpull.HelmCredentials, error) {
	es := &credEntries[chartpull.HelmCredential]{mk: func(key string, id bool) *chartpull.HelmCredential {
		if id {
			return &chartpull.HelmCredential{CredentialsID: key}
		}
		host, path, _ := strings.Cut(key, "/")
		return &chartpull.HelmCredential{Host: host, Path: path}
	}}
	c := &f.Compat
	for _, fl := range []struct {
		name      string
		vals      []string
		needValue bool
		set       func(e *chartpull.HelmCredential, v string) error
	}{
		{"helm-username", c.HelmUsername, true, func(e *chartpull.HelmCredential, v string) error { e.Username = v; return nil }},
		{"helm-password", c.HelmPassword, true, func(e *chartpull.HelmCredential, v string) error { e.Password = v; return nil }},
		{"helm-creds", c.HelmCreds, true, func(e *chartpull.HelmCredential, v string) error {
			u, p, ok := strings.Cut(v, ":")
			if !ok {
				return fmt.Errorf("format of --helm-creds values must be <host>/<path>=<username>:<password>")
			}
			e.Username, e.Password = u, p
			return nil
		}},
		{"helm-key-file", c.HelmKeyFile, true, func(e *chartpull.HelmCredential, v string) (err error) {
			e.KeyPEM, err = readFlagFile(fa, "helm-key-file", v)
			return err
		}},
		{"helm-cert-file", c.HelmCertFile, true, func(e *chartpull.HelmCredential, v string) (err error) {
			e.CertPEM, err = readFlagFile(fa, "helm-cert-file", v)
			return err
		}},
		{"helm-ca-file", c.HelmCAFile, true, func(e *chartpull.HelmCredential, v string) (err error) {
			e.CAPEM, err = readFlagFile(fa, "helm-ca-file", v)
			return err
		}},
		{"helm-insecure-skip-tls-verify", c.HelmInsecure, false, func(e *chartpull.HelmCredential, _ string) error { e.InsecureSkipTLSVerify = true; return nil }},
	} {
		for _, s := range fl.vals {
			key, val, id, err := splitCred(fl.name, s, fl.name != "helm-creds", fl.needValue)
			if err != nil {
				return nil, err
			}
			if err := fl.set(es.get(key, id), val); err != nil {
				return nil, err
			}
		}
	}
	out := chartpull.HelmCredentials(es.list())
	for _, set := range envCredSets(fa.Getenv, "KLUCTL_HELM", []string{"HOST", "PATH", "CREDENTIALS_ID", "USERNAME", "PASSWORD", "CA_FILE", "CERT_FILE", "KEY_FILE", "INSECURE_SKIP_TLS_VERIFY", "PASS_CREDENTIALS_ALL"}) {
		if set["HOST"] == "" && set["CREDENTIALS_ID"] == "" {
			continue
		}
		e := &chartpull.HelmCredential{Host: set["HOST"], Path: set["PATH"], CredentialsID: set["CREDENTIALS_ID"], Username: set["USERNAME"], Password: set["PASSWORD"]}
		e.InsecureSkipTLSVerify, _ = strconv.ParseBool(set["INSECURE_SKIP_TLS_VERIFY"])
		e.PassCredentialsAll, _ = strconv.ParseBool(set["PASS_CREDENTIALS_ALL"])
		for k, dst := range map[string]*[]byte{"CA_FILE": &e.CAPEM, "CERT_FILE": &e.CertPEM, "KEY_FILE": &e.KeyPEM} {
			if p := set[k]; p != "" {
				b, err := readFlagFile(fa, "KLUCTL_HELM_"+k, p)
				if err != nil {
					return nil, err
				}
				*dst = b
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func (f *Flags) registryCredentials(fa *factory.Factory) (chartpull.RegistryCredentials, error) {
	es := &credEntries[chartpull.RegistryCredential]{mk: func(key string, _ bool) *chartpull.RegistryCredential {
		host, repo, _ := strings.Cut(key, "/")
		return &chartpull.RegistryCredential{Host: host, Repository: repo}
	}}
	c := &f.Compat
	for _, fl := range []struct {
		name      string
		vals      []string
		needValue bool
		set       func(e *chartpull.RegistryCredential, v string) error
	}{
		{"registry-username", c.RegistryUsername, true, func(e *chartpull.RegistryCredential, v string) error { e.Username = v; return nil }},
		{"registry-password", c.RegistryPassword, true, func(e *chartpull.RegistryCredential, v string) error { e.Password = v; return nil }},
		{"registry-identity-token", c.RegistryIdentityToken, true, func(e *chartpull.RegistryCredential, v string) error { e.IdentityToken = v; return nil }},
		{"registry-token", c.RegistryToken, true, func(e *chartpull.RegistryCredential, v string) error { e.Token = v; return nil }},
		{"registry-creds", c.RegistryCreds, true, func(e *chartpull.RegistryCredential, v string) error {
			if u, p, ok := strings.Cut(v, ":"); ok {
				e.Username, e.Password = u, p
			} else {
				e.Token = v
			}
			return nil
		}},
		{"registry-key-file", c.RegistryKeyFile, true, func(e *chartpull.RegistryCredential, v string) (err error) {
			e.KeyPEM, err = readFlagFile(fa, "registry-key-file", v)
			return err
		}},
		{"registry-cert-file", c.RegistryCertFile, true, func(e *chartpull.RegistryCredential, v string) (err error) {
			e.CertPEM, err = readFlagFile(fa, "registry-cert-file", v)
			return err
		}},
		{"registry-ca-file", c.RegistryCAFile, true, func(e *chartpull.RegistryCredential, v string) (err error) {
			e.CAPEM, err = readFlagFile(fa, "registry-ca-file", v)
			return err
		}},
		{"registry-plain-http", c.RegistryPlainHTTP, false, func(e *chartpull.RegistryCredential, _ string) error { e.PlainHTTP = true; return nil }},
		{"registry-insecure-skip-tls-verify", c.RegistryInsecure, false, func(e *chartpull.RegistryCredential, _ string) error { e.InsecureSkipTLSVerify = true; return nil }},
	} {
		for _, s := range fl.vals {
			key, val, _, err := splitCred(fl.name, s, false, fl.needValue)
			if err != nil {
				return nil, err
			}
			if err := fl.set(es.get(key, false), val); err != nil {
				return nil, err
			}
		}
	}
	out := chartpull.RegistryCredentials(es.list())
	for _, set := range envCredSets(fa.Getenv, "KLUCTL_REGISTRY", []string{"HOST", "REPOSITORY", "USERNAME", "PASSWORD", "IDENTITY_TOKEN", "TOKEN", "CA_FILE", "CERT_FILE", "KEY_FILE", "PLAIN_HTTP", "INSECURE_SKIP_TLS_VERIFY"}) {
		if set["HOST"] == "" {
			continue
		}
		e := &chartpull.RegistryCredential{Host: set["HOST"], Repository: set["REPOSITORY"], Username: set["USERNAME"], Password: set["PASSWORD"], IdentityToken: set["IDENTITY_TOKEN"], Token: set["TOKEN"]}
		e.PlainHTTP, _ = strconv.ParseBool(set["PLAIN_HTTP"])
		e.InsecureSkipTLSVerify, _ = strconv.ParseBool(set["INSECURE_SKIP_TLS_VERIFY"])
		for k, dst := range map[string]*[]byte{"CA_FILE": &e.CAPEM, "CERT_FILE": &e.CertPEM, "KEY_FILE": &e.KeyPEM} {
			if p := set[k]; p != "" {
				b, err := readFlagFile(fa, "KLUCTL_REGISTRY_"+k, p)
				if err != nil {
					return nil, err
				}
				*dst = b
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func readFlagFile(fa *factory.Factory, flag, p string) ([]byte, error) {
	abs, err := fa.Abs(fa.ExpandHome(p))
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	return b, nil
}
