package controller

import (
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"path"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/chartpull"
	"github.com/kluctl-go/kluctl/internal/gitinfo"
	"github.com/kluctl-go/kluctl/internal/gitsource"
	"github.com/kluctl-go/kluctl/internal/ocisource"
)

// errNotSupported marks spec fields whose support has not landed yet.
var errNotSupported = errors.New("not supported yet")

// source is the git or OCI source of a KluctlDeployment.
type source struct {
	url  string
	ref  gitsource.Ref
	path string
	// oci is set for an OCI source; ref then only describes it (metrics).
	oci *ocisource.Ref
}

func sourceOf(kd *v1beta1.KluctlDeployment) (*source, error) {
	s := kd.Spec.Source
	switch {
	case s.Git != nil:
		out := &source{url: s.Git.URL, path: s.Git.Path}
		if s.Git.Ref != nil {
			out.ref = gitsource.Ref{Branch: s.Git.Ref.Branch, Tag: s.Git.Ref.Tag, Commit: s.Git.Ref.Commit}
		}
		return out, nil
	case s.Oci != nil:
		out := &source{url: s.Oci.URL, path: s.Oci.Path, oci: &ocisource.Ref{}}
		if s.Oci.Ref != nil {
			*out.oci = ocisource.Ref{Tag: s.Oci.Ref.Tag, Digest: s.Oci.Ref.Digest}
		}
		out.ref = gitsource.Ref{Tag: out.oci.Tag, Commit: out.oci.Digest}
		return out, nil
	case s.URL != nil:
		out := &source{url: *s.URL, path: s.Path}
		if s.Ref != nil {
			out.ref = gitsource.Ref{Branch: s.Ref.Branch, Tag: s.Ref.Tag, Commit: s.Ref.Commit}
		}
		return out, nil
	}
	return nil, errors.New("missing source spec")
}

func (s *source) projectKey() (v1beta1.ProjectKey, error) {
	if s.oci != nil {
		u, err := ocisource.ParseURL(s.url)
		if err != nil {
			return v1beta1.ProjectKey{}, fmt.Errorf("spec.source.oci.url: %w", err)
		}
		return v1beta1.ProjectKey{RepoKey: "oci://" + u.Key(), SubDir: path.Clean("/" + s.path)[1:]}, nil
	}
	u, err := gitinfo.ParseURL(s.url)
	if err != nil {
		return v1beta1.ProjectKey{}, fmt.Errorf("spec.source.git.url: %w", err)
	}
	sub := path.Clean("/" + s.path)[1:]
	return v1beta1.ProjectKey{RepoKey: gitinfo.RepoKey(u), SubDir: sub}, nil
}

// projectDir is the project folder inside a checkout; the path may not
// leave it.
func (s *source) projectDir(root string) (string, error) {
	clean := path.Clean("/" + s.path)
	dir := filepath.Join(root, filepath.FromSlash(clean))
	if dir != root && !strings.HasPrefix(dir, root+string(filepath.Separator)) {
		return "", fmt.Errorf("source path %q leaves the repository", s.path)
	}
	return dir, nil
}

// gitAuth finds the credentials of s in spec.credentials.git (and the
// deprecated source.secretRef and source.credentials), reading their
// Secrets in the KluctlDeployment's namespace.
func (rc *run) gitAuth(s *source) (*gitsource.Auth, error) {
	return rc.gitAuthURL(s.url, s.url)
}

// gitAuthURL finds the credentials of the repository url (the source
// itself or a git include of the project from sourceURL). The deprecated
// source.secretRef applies to the source's host only.
func (rc *run) gitAuthURL(url, sourceURL string) (*gitsource.Auth, error) {
	u, err := gitinfo.ParseURL(url)
	if err != nil {
		return nil, err
	}
	spec := rc.kd.Spec
	var cands []gitCandidate
	for _, c := range spec.Credentials.Git {
		cands = append(cands, gitCandidate{c.Host, c.Path, c.SecretRef.Name})
	}
	for _, c := range spec.Source.Credentials {
		cands = append(cands, gitCandidate{c.Host, c.PathPrefix + "**", c.SecretRef.Name})
	}
	if spec.Source.SecretRef != nil {
		if su, err := gitinfo.ParseURL(sourceURL); err == nil {
			cands = append(cands, gitCandidate{su.Hostname(), "", spec.Source.SecretRef.Name})
		}
	}
	for _, c := range cands {
		if c.matches(u) {
			return rc.readGitSecret(c.secret)
		}
	}
	return nil, nil
}

// gitCandidate is one entry of the git credentials of a deployment.
type gitCandidate struct {
	host, path string
	secret     string
}

// matches tells whether the credentials apply to u. Host "*" (or empty)
// matches every host, but only for ssh URLs, as the original's
// documentation says: a password is never sent to an https host it was not
// given for (a project can include any URL).
func (c gitCandidate) matches(u *neturl.URL) bool {
	host := strings.ToLower(u.Hostname())
	hostPort := host
	if u.Port() != "" {
		hostPort += ":" + u.Port()
	}
	switch h := strings.ToLower(c.host); h {
	case "", "*":
		if u.Scheme != "ssh" {
			return false
		}
	case host, hostPort:
	default:
		return false
	}
	if c.path == "" {
		return true
	}
	repoPath := strings.Trim(u.Path, "/")
	if ok, err := path.Match(strings.Trim(c.path, "/"), repoPath); err == nil && ok {
		return true
	}
	return globPrefix(c.path, repoPath)
}

// globPrefix matches paths like "org/**".
func globPrefix(pattern, p string) bool {
	prefix, ok := strings.CutSuffix(strings.Trim(pattern, "/"), "**")
	return ok && strings.HasPrefix(p, prefix)
}

func (rc *run) readGitSecret(name string) (*gitsource.Auth, error) {
	var sec corev1.Secret
	if err := rc.r.apiReader.Get(rc.ctx, types.NamespacedName{Namespace: rc.kd.Namespace, Name: name}, &sec); err != nil {
		return nil, fmt.Errorf("failed to get secret '%s': %w", name, err)
	}
	d := sec.Data
	auth := &gitsource.Auth{
		Username: string(d["username"]), Password: string(d["password"]),
		SSHKey: d["identity"], KnownHosts: d["known_hosts"], CABundle: d["caFile"],
	}
	if auth.Username == "" && auth.Password != "" {
		auth.Username = "git"
	}
	rc.addSecret(auth.Password)
	// The private key, and each of its lines, in case one is quoted.
	rc.addSecret(strings.TrimSpace(string(auth.SSHKey)))
	for _, l := range strings.Split(string(auth.SSHKey), "\n") {
		if l = strings.TrimSpace(l); len(l) >= 16 && !strings.HasPrefix(l, "-----") {
			rc.addSecret(l)
		}
	}
	return auth, nil
}

// ociRegistry reaches registries with spec.credentials.oci, reading their
// Secrets in the KluctlDeployment's namespace (never the controller's
// docker config).
func (rc *run) ociRegistry() (*ocisource.Registry, error) {
	creds, err := rc.ociCredentials(io.Discard)
	if err != nil {
		return nil, err
	}
	if err := creds.Compile(); err != nil {
		return nil, err
	}
	return &ocisource.Registry{Credentials: creds}, nil
}

// ociCredentials reads spec.credentials.oci, writing the Secrets' content
// to h (see secretData).
func (rc *run) ociCredentials(h io.Writer) (chartpull.RegistryCredentials, error) {
	var creds chartpull.RegistryCredentials
	for i, c := range rc.kd.Spec.Credentials.Oci {
		d, err := rc.secretData(c.SecretRef.Name, h)
		if err != nil {
			return nil, fmt.Errorf("spec.credentials.oci[%d]: %w", i, err)
		}
		e := &chartpull.RegistryCredential{Host: c.Registry, Repository: c.Repository,
			Username: string(d["username"]), Password: string(d["password"]),
			Token: string(d["token"]), IdentityToken: string(d["identityToken"])}
		e.TLS = tlsOf(d)
		e.PlainHTTP = boolOf(d, "plainHttp")
		creds = append(creds, e)
	}
	return creds, nil
}

// ociCache is the controller's cache of pulled artifacts; processes and
// reconciles share it through its locks.
func (rc *run) ociCache() (*ocisource.Cache, error) {
	return ocisource.New(ocisource.Options{Dir: filepath.Join(rc.r.opts.SourceDir, "oci")})
}
