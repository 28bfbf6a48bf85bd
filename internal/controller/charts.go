package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/internal/chartpull"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// chartPuller builds the puller of the run's Helm and OCI credentials
// (spec.credentials.helm, spec.credentials.oci and the deprecated
// spec.helmCredentials) and returns the engine's PullChart. Charts that
// were not pre-pulled are cached per set of credentials, so that a chart
// pulled with one deployment's credentials is never served to another:
// repository and OCI charts by the Helm and OCI credentials, git charts by
// the git credentials of their URL.
func (rc *run) chartPuller() (func(context.Context, *helm.Config) (string, error), error) {
	spec := &rc.kd.Spec
	h := sha256.New()
	var hc chartpull.HelmCredentials
	for i, c := range spec.Credentials.Helm {
		d, err := rc.secretData(c.SecretRef.Name, h)
		if err != nil {
			return nil, fmt.Errorf("spec.credentials.helm[%d]: %w", i, err)
		}
		e := &chartpull.HelmCredential{Host: c.Host, Path: c.Path}
		fillHelm(e, d)
		hc = append(hc, e)
	}
	for i, c := range spec.HelmCredentials {
		d, err := rc.secretData(c.SecretRef.Name, h)
		if err != nil {
			return nil, fmt.Errorf("spec.helmCredentials[%d]: %w", i, err)
		}
		e := &chartpull.HelmCredential{CredentialsID: string(d["credentialsId"])}
		if raw := string(d["url"]); raw != "" {
			u, err := url.Parse(raw)
			if err != nil {
				return nil, fmt.Errorf("spec.helmCredentials[%d]: url: %w", i, err)
			}
			e.Host, e.Path = u.Host, strings.Trim(u.Path, "/")
		} else if e.CredentialsID == "" {
			return nil, fmt.Errorf("spec.helmCredentials[%d]: secret %s must at least contain 'credentialsId' or 'url'", i, c.SecretRef.Name)
		}
		fillHelm(e, d)
		hc = append(hc, e)
	}
	oc, err := rc.ociCredentials(h)
	if err != nil {
		return nil, err
	}
	gitAuth := rc.includeAuth
	p, err := chartpull.New(chartpull.Options{
		Helm: hc, Registry: oc, Secret: rc.addSecret,
		FetchGit: (&gitsource.Includes{Cache: rc.r.sources, Auth: gitAuth}).Fetch,
	})
	if err != nil {
		return nil, err
	}
	key := publicCharts
	if len(hc)+len(oc) != 0 {
		key = hex.EncodeToString(h.Sum(nil))[:16]
	}
	rc.r.pruneCharts()
	return func(ctx context.Context, cfg *helm.Config) (string, error) {
		k, err := chartCacheKey(ctx, cfg, key, gitAuth)
		if err != nil {
			return "", err
		}
		return p.Cached(ctx, cfg, filepath.Join(rc.r.chartsDir(), k))
	}, nil
}

// publicCharts is the cache folder of charts pulled without credentials.
const publicCharts = "public"

// chartCacheKey is the cache folder of cfg's chart: key (of the Helm and
// OCI credentials) for repository and OCI charts; for git charts, a hash
// of the git credentials of their URL, so that a chart pinned to a tag or
// commit, which is not pulled again, is served only to deployments with
// the same credentials.
func chartCacheKey(ctx context.Context, cfg *helm.Config, key string, gitAuth func(context.Context, string) (*gitsource.Auth, error)) (string, error) {
	if cfg.Source() != helm.SourceGit || cfg.Git == nil {
		return key, nil
	}
	if gitAuth == nil {
		return publicCharts, nil
	}
	auth, err := gitAuth(ctx, cfg.Git.URL)
	if err != nil {
		return "", fmt.Errorf("%s: credentials of %s: %w", cfg.File, cfg.Name(), err)
	}
	if auth == nil {
		return publicCharts, nil
	}
	return "git-" + hex.EncodeToString(auth.Digest(sha256.New()))[:16], nil
}

// chartCacheMaxAge is how long a cached chart version stays unused.
const chartCacheMaxAge = 7 * 24 * time.Hour

func (r *Reconciler) chartsDir() string { return filepath.Join(r.opts.SourceDir, "helm-charts") }

// pruneCharts removes cached chart versions unused for chartCacheMaxAge,
// at most once an hour (by the reconcile that finds it due).
func (r *Reconciler) pruneCharts() {
	r.mu.Lock()
	due := time.Since(r.chartsPruned) > time.Hour
	if due {
		r.chartsPruned = time.Now()
	}
	r.mu.Unlock()
	if due {
		chartpull.PruneCache(r.chartsDir(), chartCacheMaxAge)
	}
}

// secretData reads a Secret of the deployment's namespace, adds its
// values to the masked secrets and its content to h.
func (rc *run) secretData(name string, h io.Writer) (map[string][]byte, error) {
	sec, err := rc.secret(name)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(sec.Data))
	for k := range sec.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(h, "%s\x00", name)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%x\x00", k, sec.Data[k])
		switch k {
		case "password", "token", "identityToken", "key", "keyFile":
			rc.addSecret(string(sec.Data[k]))
		}
	}
	return sec.Data, nil
}

// secret reads a Secret of the KluctlDeployment's namespace once per
// reconcile: the source, the includes and the chart puller all use
// spec.credentials.oci, and they see one version of it.
func (rc *run) secret(name string) (*corev1.Secret, error) {
	rc.credSecretsMu.Lock()
	defer rc.credSecretsMu.Unlock()
	if sec, ok := rc.credSecrets[name]; ok {
		return sec, nil
	}
	sec := &corev1.Secret{}
	if err := rc.r.apiReader.Get(rc.ctx, types.NamespacedName{Namespace: rc.kd.Namespace, Name: name}, sec); err != nil {
		return nil, fmt.Errorf("failed to get secret '%s': %w", name, err)
	}
	if rc.credSecrets == nil {
		rc.credSecrets = map[string]*corev1.Secret{}
	}
	rc.credSecrets[name] = sec
	return sec, nil
}

func fillHelm(e *chartpull.HelmCredential, d map[string][]byte) {
	e.Username, e.Password = string(d["username"]), string(d["password"])
	e.TLS = tlsOf(d)
	e.PassCredentialsAll = boolOf(d, "passCredentialsAll")
}

// tlsOf reads the TLS keys of a credentials Secret (the original's names:
// cert/certFile, key/keyFile, ca/caFile, insecure/insecureSkipTlsVerify).
func tlsOf(d map[string][]byte) chartpull.TLS {
	first := func(keys ...string) []byte {
		for _, k := range keys {
			if v, ok := d[k]; ok {
				return v
			}
		}
		return nil
	}
	return chartpull.TLS{
		CertPEM: first("cert", "certFile"), KeyPEM: first("key", "keyFile"), CAPEM: first("ca", "caFile"),
		InsecureSkipTLSVerify: boolOf(d, "insecure") || boolOf(d, "insecureSkipTlsVerify"),
	}
}

func boolOf(d map[string][]byte, k string) bool {
	b, _ := strconv.ParseBool(string(d[k]))
	return b
}
