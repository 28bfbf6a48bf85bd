package chartpull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/render/helm"
)

// maxIndexSize and maxChartSize bound what is read from a repository.
const (
	maxIndexSize = 256 << 20
	maxChartSize = 64 << 20
)

// repoClient talks to one http(s) chart repository.
type repoClient struct {
	base   *url.URL
	cred   *HelmCredential
	client *http.Client
}

func (p *Puller) repoClient(cfg *helm.Config) (*repoClient, error) {
	base, err := url.Parse(strings.TrimSuffix(cfg.Repo, "/"))
	if err != nil {
		return nil, fmt.Errorf("repo %q: %w", cfg.Repo, err)
	}
	cred := p.opts.Helm.For(cfg.Repo, cfg.CredentialsID)
	if cred == nil && cfg.CredentialsID != "" {
		return nil, fmt.Errorf("no credentials given for credentialsId %q (--helm-username=%s:<user> and friends)", cfg.CredentialsID, cfg.CredentialsID)
	}
	var t TLS
	if cred != nil {
		t = cred.TLS
	}
	c, err := t.httpClient(p.opts.Timeout)
	if err != nil {
		return nil, err
	}
	return &repoClient{base: base, cred: cred, client: c}, nil
}

// get reads u (at most limit bytes), sending the credentials only to the
// repository's host unless PassCredentialsAll is set.
func (r *repoClient) get(ctx context.Context, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if r.cred != nil && (r.cred.Username != "" || r.cred.Password != "") && (req.URL.Host == r.base.Host || r.cred.PassCredentialsAll) {
		req.SetBasicAuth(r.cred.Username, r.cred.Password)
	}
	req.Header.Set("User-Agent", "kluctl")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redact(req.URL), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("GET %s: %s: the repository refused the credentials (or none were given)", redact(req.URL), resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: %s", redact(req.URL), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", redact(req.URL), err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d MiB", redact(req.URL), limit>>20)
	}
	return b, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// index downloads and parses the repository's index.yaml.
func (r *repoClient) index(ctx context.Context) (*repo.IndexFile, error) {
	b, err := r.get(ctx, r.base.String()+"/index.yaml", maxIndexSize)
	if err != nil {
		return nil, err
	}
	var idx repo.IndexFile
	if err := yaml.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("index.yaml of %s: %w", redact(r.base), err)
	}
	idx.SortEntries()
	return &idx, nil
}

// fetchRepo downloads the chart archive of cfg and checks its digest.
func (p *Puller) fetchRepo(ctx context.Context, cfg *helm.Config) ([]byte, error) {
	r, err := p.repoClient(cfg)
	if err != nil {
		return nil, err
	}
	idx, err := r.index(ctx)
	if err != nil {
		return nil, err
	}
	cv, err := findVersion(idx, cfg.ChartName, cfg.ChartVersion, redact(r.base))
	if err != nil {
		return nil, err
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("chart %s %s has no download URL in the index", cfg.ChartName, cfg.ChartVersion)
	}
	u, err := repo.ResolveReferenceURL(r.base.String()+"/", cv.URLs[0])
	if err != nil {
		return nil, err
	}
	tgz, err := r.get(ctx, u, maxChartSize)
	if err != nil {
		return nil, err
	}
	if cv.Digest != "" {
		sum := sha256.Sum256(tgz)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, cv.Digest) {
			return nil, fmt.Errorf("the downloaded archive has digest sha256:%s, the index says %s (a broken or tampered download)", got, cv.Digest)
		}
	}
	return tgz, nil
}

// findVersion returns the exact version of name in idx; a missing one is
// an error naming the nearest versions that exist.
func findVersion(idx *repo.IndexFile, name, version, where string) (*repo.ChartVersion, error) {
	vs, ok := idx.Entries[name]
	if !ok || len(vs) == 0 {
		return nil, fmt.Errorf("chart %q not found in %s", name, where)
	}
	var all []string
	for _, v := range vs {
		if v.Version == version {
			return v, nil
		}
		all = append(all, v.Version)
	}
	return nil, &VersionNotFoundError{Chart: name, Version: version, Where: where, Nearest: nearest(all, version, 5)}
}

// VersionNotFoundError is a chart version that does not exist.
type VersionNotFoundError struct {
	Chart, Version, Where string
	// Nearest are the closest versions that exist.
	Nearest []string
}

func (e *VersionNotFoundError) Error() string {
	msg := fmt.Sprintf("chart %q version %q not found in %s", e.Chart, e.Version, e.Where)
	if len(e.Nearest) != 0 {
		msg += "; nearest available: " + strings.Join(e.Nearest, ", ")
	}
	return msg
}

// nearest returns up to n versions closest to want: semver versions
// ordered by distance (major, then minor, then patch), others last.
func nearest(versions []string, want string, n int) []string {
	w, werr := semver.NewVersion(want)
	type cand struct {
		v    string
		dist [3]float64
	}
	var cs []cand
	for _, v := range versions {
		sv, err := semver.NewVersion(v)
		c := cand{v: v, dist: [3]float64{1e18, 1e18, 1e18}}
		if err == nil && werr == nil {
			abs := func(a, b uint64) float64 {
				if a > b {
					return float64(a - b)
				}
				return float64(b - a)
			}
			c.dist = [3]float64{abs(sv.Major(), w.Major()), abs(sv.Minor(), w.Minor()), abs(sv.Patch(), w.Patch())}
		}
		cs = append(cs, c)
	}
	sort.SliceStable(cs, func(i, j int) bool {
		for k := range 3 {
			if cs[i].dist[k] != cs[j].dist[k] {
				return cs[i].dist[k] < cs[j].dist[k]
			}
		}
		return false
	})
	var out []string
	for _, c := range cs {
		if len(out) == n {
			break
		}
		out = append(out, c.v)
	}
	return out
}

// repoVersions lists the versions of cfg's chart in its repository.
func (p *Puller) repoVersions(ctx context.Context, cfg *helm.Config) ([]string, error) {
	r, err := p.repoClient(cfg)
	if err != nil {
		return nil, err
	}
	idx, err := r.index(ctx)
	if err != nil {
		return nil, err
	}
	vs, ok := idx.Entries[cfg.ChartName]
	if !ok {
		return nil, errors.New("chart " + cfg.ChartName + " not found in " + redact(r.base))
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out, nil
}
