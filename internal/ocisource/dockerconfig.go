package ocisource

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// DockerConfig is the keychain of the logins in a docker config.json (what
// `docker login` writes): its auths and its credential helpers
// (credHelpers, credsStore). Only the file at Path is read; a missing
// file has no logins.
type DockerConfig struct {
	Path string
}

type dockerConfigFile struct {
	Auths       map[string]dockerAuth `json:"auths"`
	CredsStore  string                `json:"credsStore"`
	CredHelpers map[string]string     `json:"credHelpers"`
}

type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// Resolve implements authn.Keychain.
func (d *DockerConfig) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return d.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain.
func (d *DockerConfig) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	if d == nil || d.Path == "" {
		return authn.Anonymous, nil
	}
	b, err := os.ReadFile(d.Path)
	if errors.Is(err, os.ErrNotExist) {
		return authn.Anonymous, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docker config: %w", err)
	}
	var cf dockerConfigFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return nil, fmt.Errorf("docker config %s: %w", d.Path, err)
	}
	host := strings.ToLower(r.RegistryStr())
	helper := cf.CredsStore
	if h, ok := cf.CredHelpers[host]; ok {
		helper = h
	}
	for key, a := range cf.Auths {
		if configHost(key) != host {
			continue
		}
		cfg := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("docker config %s: auth of %s: %w", d.Path, key, err)
			}
			cfg.Username, cfg.Password, _ = strings.Cut(string(raw), ":")
		}
		if cfg != (authn.AuthConfig{}) {
			return authn.FromConfig(cfg), nil
		}
	}
	if helper == "" {
		return authn.Anonymous, nil
	}
	return credentialHelper(ctx, helper, host)
}

// configHost is the registry host of an auths key: "host", "https://host"
// or "https://host/v1/".
func configHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	key, _, _ = strings.Cut(key, "/")
	if key == "docker.io" {
		key = "index.docker.io"
	}
	return strings.ToLower(key)
}

// credentialHelper asks docker-credential-<helper> for the login of host,
// as the docker CLI does.
func credentialHelper(ctx context.Context, helper, host string) (authn.Authenticator, error) {
	server := host
	if host == "index.docker.io" {
		server = "https://index.docker.io/v1/"
	}
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker-credential-"+helper, "get")
	cmd.Stdin = strings.NewReader(server)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if strings.Contains(out.String()+errOut.String(), "credentials not found") {
			return authn.Anonymous, nil
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			// The configured helper is not installed: no login.
			return authn.Anonymous, nil
		}
		return nil, fmt.Errorf("docker credential helper %s: %w", helper, err)
	}
	var res struct {
		Username, Secret string
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("docker credential helper %s: %w", helper, err)
	}
	if res.Username == "<token>" {
		return authn.FromConfig(authn.AuthConfig{IdentityToken: res.Secret}), nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: res.Username, Password: res.Secret}), nil
}
