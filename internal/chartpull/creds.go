package chartpull

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kluctl-go/kluctl/internal/gitsource"
)

// HelmCredential is what a Helm repository needs: it applies to the
// repositories on Host whose path matches Path (a glob: * within a
// segment, ** across them; "" matches all), or, in the deprecated form, to
// the charts whose helm-chart.yaml names CredentialsID.
type HelmCredential struct {
	Host, Path    string
	CredentialsID string
	TLS
	Username, Password string
	// PassCredentialsAll sends the credentials to chart URLs on other
	// hosts than the repository's too (Helm's --pass-credentials).
	PassCredentialsAll bool
	pathRe             *regexp.Regexp
}

// RegistryCredential is what an OCI registry needs: it applies to the
// repositories on Host whose path matches Repository (a glob; "" all).
type RegistryCredential struct {
	Host, Repository   string
	Username, Password string
	// Token is a registry (bearer) token; IdentityToken an OAuth refresh
	// token.
	Token, IdentityToken string
	TLS
	PlainHTTP bool
	repoRe    *regexp.Regexp
}

// TLS are the TLS settings of a server: PEM data, not file names.
type TLS struct {
	CertPEM, KeyPEM, CAPEM []byte
	InsecureSkipTLSVerify  bool
}

// HelmCredentials are tried in order; the first match wins.
type HelmCredentials []*HelmCredential

// RegistryCredentials are tried in order; the first match wins.
type RegistryCredentials []*RegistryCredential

// Compile checks the path globs; call it once before use.
func (cs HelmCredentials) Compile() error {
	for _, c := range cs {
		re, err := gitsource.PathGlob(strings.Trim(c.Path, "/"))
		if err != nil {
			return fmt.Errorf("helm credentials for %s: path %q: %w", c.Host, c.Path, err)
		}
		c.pathRe = re
	}
	return nil
}

// Compile checks the repository globs; call it once before use.
func (cs RegistryCredentials) Compile() error {
	for _, c := range cs {
		re, err := gitsource.PathGlob(strings.Trim(c.Repository, "/"))
		if err != nil {
			return fmt.Errorf("registry credentials for %s: repository %q: %w", c.Host, c.Repository, err)
		}
		c.repoRe = re
	}
	return nil
}

// For returns the credential of the repository at repoURL for a chart
// whose helm-chart.yaml names credentialsID, nil when none applies.
func (cs HelmCredentials) For(repoURL, credentialsID string) *HelmCredential {
	if credentialsID != "" {
		for _, c := range cs {
			if c.CredentialsID == credentialsID {
				return c
			}
		}
		return nil
	}
	u, err := url.Parse(repoURL)
	if err != nil {
		return nil
	}
	for _, c := range cs {
		if c.CredentialsID == "" && hostMatches(c.Host, u) && (c.pathRe == nil || c.pathRe.MatchString(strings.Trim(u.Path, "/"))) {
			return c
		}
	}
	return nil
}

// For returns the credential of the OCI repository ociURL
// (oci://host/repo), nil when none applies.
func (cs RegistryCredentials) For(ociURL string) *RegistryCredential {
	u, err := url.Parse(ociURL)
	if err != nil {
		return nil
	}
	for _, c := range cs {
		if hostMatches(c.Host, u) && (c.repoRe == nil || c.repoRe.MatchString(strings.Trim(u.Path, "/"))) {
			return c
		}
	}
	return nil
}

// hostMatches compares a credential's host (with or without port) to u's.
func hostMatches(host string, u *url.URL) bool {
	h := strings.ToLower(host)
	return h == strings.ToLower(u.Host) || h == strings.ToLower(u.Hostname())
}

// httpClient returns a client with t's TLS settings.
func (t TLS) httpClient(timeout time.Duration) (*http.Client, error) {
	tr, err := t.Transport()
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// Transport returns an HTTP transport with t's TLS settings.
func (t TLS) Transport() (*http.Transport, error) {
	cfg := &tls.Config{InsecureSkipVerify: t.InsecureSkipTLSVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // asked for explicitly
	if len(t.CAPEM) != 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(t.CAPEM) {
			return nil, fmt.Errorf("the CA file holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	if len(t.CertPEM) != 0 || len(t.KeyPEM) != 0 {
		cert, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return tr, nil
}
