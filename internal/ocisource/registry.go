package ocisource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kluctl-go/kluctl/internal/chartpull"
)

// userAgent is sent with every registry request.
const userAgent = "kluctl"

// URL is a parsed oci://<registry>/<repository> URL.
type URL struct {
	// Host is the registry, host[:port].
	Host string
	// Repository is the path of the repository in the registry.
	Repository string
}

// ParseURL parses an oci:// URL naming a repository (no tag or digest:
// those are refs). Credentials in the URL are refused: they belong in
// the registry credentials.
func ParseURL(s string) (URL, error) {
	if !strings.HasPrefix(s, "oci://") {
		return URL{}, fmt.Errorf("%q is not an oci:// URL", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return URL{}, fmt.Errorf("invalid oci url: %w", err)
	}
	if u.User != nil {
		return URL{}, errors.New("invalid oci url: credentials in the url are not supported, use the registry credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return URL{}, fmt.Errorf("invalid oci url %s: no query or fragment allowed", u.Redacted())
	}
	repo := strings.Trim(u.Path, "/")
	if u.Host == "" || repo == "" {
		return URL{}, fmt.Errorf("invalid oci url %q: expected oci://<registry>/<repository>", s)
	}
	if strings.ContainsAny(repo, "@:") {
		return URL{}, fmt.Errorf("invalid oci url %q: the tag or digest goes into the ref, not the url", s)
	}
	return URL{Host: u.Host, Repository: repo}, nil
}

// String is the URL without credentials: oci://host/repository.
func (u URL) String() string { return "oci://" + u.Host + "/" + u.Repository }

// Key is the repository key of local overrides: host/repository, lower
// case.
func (u URL) Key() string { return strings.ToLower(u.Host + "/" + u.Repository) }

// Registry reaches OCI registries: each repository with the first of
// Credentials that matches it (compiled), else with the logins Keychain
// has for it (the docker config), else anonymously.
type Registry struct {
	Credentials chartpull.RegistryCredentials
	Keychain    authn.Keychain
}

// Error is a failed registry operation; it names the artifact without
// credentials.
type Error struct {
	Op, URL, Ref string
	Err          error
}

func (e *Error) Error() string {
	if e.Ref == "" {
		return fmt.Sprintf("oci %s of %s: %v", e.Op, e.URL, e.Err)
	}
	return fmt.Sprintf("oci %s of %s (%s): %v", e.Op, e.URL, e.Ref, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// explain adds what a refused request means to registry errors.
func explain(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("authentication failed (check the registry credentials): %w", err)
		case http.StatusNotFound:
			return fmt.Errorf("not found: %w", err)
		}
	}
	return err
}

// repository returns the registry repository of u and the options to
// reach it with: its credential's auth, TLS settings and plain http.
// Call done when finished: it closes the connections.
func (r *Registry) repository(ctx context.Context, u URL) (repo name.Repository, opts []remote.Option, done func(), err error) {
	var cred *chartpull.RegistryCredential
	if r != nil {
		cred = r.Credentials.For(u.String())
	}
	var nopts []name.Option
	var t chartpull.TLS
	if cred != nil {
		t = cred.TLS
		if cred.PlainHTTP {
			nopts = append(nopts, name.Insecure)
		}
	}
	if repo, err = name.NewRepository(u.Host+"/"+u.Repository, nopts...); err != nil {
		return repo, nil, nil, fmt.Errorf("invalid oci url %s: %w", u, err)
	}
	tr, err := t.Transport()
	if err != nil {
		return repo, nil, nil, fmt.Errorf("registry %s: %w", u.Host, err)
	}
	auth, err := r.authenticator(ctx, repo, cred)
	if err != nil {
		return repo, nil, nil, fmt.Errorf("registry %s: %w", u.Host, err)
	}
	return repo, []remote.Option{
		remote.WithContext(ctx), remote.WithUserAgent(userAgent),
		remote.WithTransport(tr), remote.WithAuth(auth),
	}, tr.CloseIdleConnections, nil
}

// authenticator is the credential's auth when it has any, else the
// keychain's.
func (r *Registry) authenticator(ctx context.Context, repo name.Repository, cred *chartpull.RegistryCredential) (authn.Authenticator, error) {
	if cred != nil {
		switch {
		case cred.Username != "" || cred.Password != "":
			return &authn.Basic{Username: cred.Username, Password: cred.Password}, nil
		case cred.Token != "":
			return authn.FromConfig(authn.AuthConfig{RegistryToken: cred.Token}), nil
		case cred.IdentityToken != "":
			return authn.FromConfig(authn.AuthConfig{IdentityToken: cred.IdentityToken}), nil
		}
	}
	if r == nil || r.Keychain == nil {
		return authn.Anonymous, nil
	}
	return authn.Resolve(ctx, r.Keychain, repo)
}
