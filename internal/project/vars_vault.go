package project

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// loadVault loads a vault source as the original does: the secret at path
// (the API path without /v1/, e.g. secret/data/app on a KV version 2
// mount) of the server at address, read with the token in VAULT_TOKEN and
// in the namespace VAULT_NAMESPACE (none: no token is sent, as for a local
// Vault agent that adds it). The secret's key/value pairs, as JSON, are
// the YAML of the vars: the data of a KV version 2 secret, the whole
// secret on a version 1 mount. Its values are sensitive by default.
func (l *varsLoader) loadVault(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) (any, bool, bool, error) {
	v := src.Vault
	desc := fmt.Sprintf("vault %s path %s", redactURL(v.Address), v.Path)
	fail := func(err error) (any, bool, bool, error) {
		return nil, true, false, fmt.Errorf("%s: %w", desc, err)
	}
	path := strings.Trim(v.Path, "/")
	base, err := url.Parse(v.Address)
	switch {
	case v.Address == "":
		return fail(errors.New("address is required"))
	case path == "":
		return fail(errors.New("path is required"))
	case err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "":
		return fail(errors.New("address is not an http(s) URL"))
	}
	c := vaultClient{base: base, token: l.getenv("VAULT_TOKEN"), namespace: l.getenv("VAULT_NAMESPACE")}
	if role := l.getenv("VAULT_KUBERNETES_ROLE"); c.token == "" && role != "" {
		if err := checkCredentialURL(base); err != nil {
			return fail(err)
		}
		if c.token, err = c.kubernetesLogin(ctx, role, l.getenv("VAULT_KUBERNETES_MOUNT"), l.getenv("VAULT_KUBERNETES_TOKEN_FILE")); err != nil {
			return fail(err)
		}
	}
	if c.token != "" {
		vars.MarkSensitive([]any{c.token})
		if err := checkCredentialURL(base); err != nil {
			return fail(err)
		}
	}
	mount, version := c.mount(ctx, path)
	l.debug(fmt.Sprintf("vault: %s is on mount %q, KV version %q", path, mount, version))
	status, body, err := c.get(ctx, path)
	if err != nil {
		return fail(err)
	}
	switch {
	case status == http.StatusNotFound:
		hint := ""
		if version == "2" && !strings.HasPrefix(strings.TrimPrefix(path, mount), "data/") {
			hint = fmt.Sprintf(" (%s is a KV version 2 mount: the path of a secret is %sdata/NAME)", mount, mount)
		}
		return l.missingSecret(src, desc, hint)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fail(c.authError(status, body))
	case status != http.StatusOK:
		return fail(fmt.Errorf("vault answered with status %d%s", status, c.serverErrors(body)))
	}
	data, err := decodeVaultData(body)
	if err != nil {
		return fail(err)
	}
	if version == "2" || (version == "" && isKVv2Data(data)) {
		inner, ok := data["data"].(map[string]any)
		if !ok {
			return l.missingSecret(src, desc, " (the version is deleted or destroyed)")
		}
		data = inner
	}
	if data == nil {
		return l.missingSecret(src, desc, "")
	}
	content, err := json.Marshal(data)
	if err != nil {
		return fail(err)
	}
	m, err := l.secretVars(ctx, vars, desc, string(content), searchDirs)
	if err != nil {
		return fail(err)
	}
	return m, true, true, nil
}

// vaultClient reads from Vault's HTTP API.
type vaultClient struct {
	base             *url.URL
	token, namespace string
}

// get reads path (relative to /v1/) and returns the status and body.
func (c vaultClient) get(ctx context.Context, path string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, secretStoreTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.JoinPath("v1", path).String(), nil)
	if err != nil {
		return 0, nil, errors.New("invalid request")
	}
	req.Header.Set("X-Vault-Request", "true")
	if c.token != "" {
		req.Header.Set("X-Vault-Token", c.token)
	}
	if c.namespace != "" {
		req.Header.Set("X-Vault-Namespace", c.namespace)
	}
	return doSecretStoreRequest(req)
}

// mount asks Vault which mount holds path, as its CLI does, and returns
// the mount's path ("secret/") and its KV version ("1" or "2"); both are
// empty when the token may not ask or the mount is no KV mount.
func (c vaultClient) mount(ctx context.Context, path string) (string, string) {
	status, body, err := c.get(ctx, "sys/internal/ui/mounts/"+path)
	if err != nil || status != http.StatusOK {
		return "", ""
	}
	var r struct {
		Data struct {
			Path    string            `json:"path"`
			Type    string            `json:"type"`
			Options map[string]string `json:"options"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &r) != nil || (r.Data.Type != "kv" && r.Data.Type != "generic") {
		return "", ""
	}
	if r.Data.Options["version"] == "2" {
		return r.Data.Path, "2"
	}
	return r.Data.Path, "1"
}

// authError explains a 401 or 403 answer without the token.
func (c vaultClient) authError(status int, body []byte) error {
	why := "the token in VAULT_TOKEN is invalid or expired, or may not read this path"
	if c.token == "" {
		why = "VAULT_TOKEN is not set"
	}
	return fmt.Errorf("permission denied (status %d%s): %s", status, c.serverErrors(body), why)
}

// serverErrors returns the "errors" of a Vault error response, as ": a,
// b", without the token.
func (c vaultClient) serverErrors(body []byte) string {
	var r struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil || len(r.Errors) == 0 {
		return ""
	}
	return ": " + scrubSecrets(strings.Join(r.Errors, ", "), c.token)
}

// decodeVaultData returns the "data" of a Vault response, numbers kept as
// they were written.
func decodeVaultData(body []byte) (map[string]any, error) {
	var r struct {
		Data map[string]any `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&r); err != nil {
		return nil, errors.New("the response is not a Vault secret (invalid JSON)")
	}
	return r.Data, nil
}

// isKVv2Data tells whether data is the answer of a KV version 2 read:
// {data: {...}, metadata: {version, ...}}. It is only consulted when the
// token may not look the mount up.
func isKVv2Data(data map[string]any) bool {
	meta, ok := data["metadata"].(map[string]any)
	if !ok || len(data) != 2 {
		return false
	}
	_, hasData := data["data"]
	_, hasVersion := meta["version"]
	return hasData && hasVersion
}

// kubernetesLogin logs in with Vault's Kubernetes auth method (mount
// "kubernetes" unless given) as role, with the service account token in
// tokenFile (the pod's own token unless given), and returns the client
// token.
func (c vaultClient) kubernetesLogin(ctx context.Context, role, mount, tokenFile string) (string, error) {
	if mount == "" {
		mount = "kubernetes"
	}
	if tokenFile == "" {
		tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	}
	ctx, cancel := context.WithTimeout(ctx, secretStoreTimeout)
	defer cancel()
	jwt, err := os.ReadFile(tokenFile)
	if err != nil {
		return "", fmt.Errorf("kubernetes auth: read the service account token: %w", err)
	}
	body, err := json.Marshal(map[string]string{"role": role, "jwt": strings.TrimSpace(string(jwt))})
	if err != nil {
		return "", err
	}
	u := c.base.JoinPath("v1", "auth", strings.Trim(mount, "/"), "login")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.namespace != "" {
		req.Header.Set("X-Vault-Namespace", c.namespace)
	}
	status, data, err := doSecretStoreRequest(req)
	if err != nil {
		return "", fmt.Errorf("kubernetes auth: %w", err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("kubernetes auth as role %q at auth/%s: status %d", role, mount, status)
	}
	var out struct {
		Auth *struct {
			ClientToken string `json:"client_token"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Auth == nil || out.Auth.ClientToken == "" {
		return "", fmt.Errorf("kubernetes auth as role %q: no client token in the answer", role)
	}
	return out.Auth.ClientToken, nil
}
