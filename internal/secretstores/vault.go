package secretstores

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// VaultOptions configures a Vault server.
type VaultOptions struct {
	// Token is the only token the server accepts (X-Vault-Token).
	Token string
	// Mounts maps KV mount paths ("secret/", "kv1/") to their KV version
	// (1 or 2).
	Mounts map[string]int
	// DenyMountLookup makes sys/internal/ui/mounts answer 403, as for a
	// token whose policy does not allow it.
	DenyMountLookup bool
	// KubernetesRole and KubernetesJWT enable the Kubernetes auth method
	// at auth/kubernetes: a login with that role and service account
	// token gets Token.
	KubernetesRole, KubernetesJWT string
}

// Vault implements the parts of Vault's HTTP API that a KV reader uses:
// GET /v1/MOUNT/NAME on KV version 1 mounts, GET /v1/MOUNT/data/NAME on
// version 2 mounts and GET /v1/sys/internal/ui/mounts/PATH, with the
// response bodies and status codes of Vault (403 "permission denied" for
// a missing or wrong token, 404 for a missing or deleted secret).
type Vault struct {
	server
	opts    VaultOptions
	secrets map[string]map[string]any
	deleted map[string]bool
}

// StartVault starts a Vault server on loopback.
func StartVault(opts VaultOptions) *Vault {
	v := &Vault{opts: opts, secrets: map[string]map[string]any{}, deleted: map[string]bool{}}
	v.start(v.serve)
	return v
}

// Put stores data as the secret at path, the mount followed by the
// secret's name ("secret/app"), as `vault kv put` does.
func (v *Vault) Put(path string, data map[string]any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.secrets[path] = data
	delete(v.deleted, path)
}

// Delete soft-deletes the latest version of a KV version 2 secret, as
// `vault kv delete` does.
func (v *Vault) Delete(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.deleted[path] = true
}

func (v *Vault) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, errs ...string) {
		writeJSON(w, "application/json", status, map[string]any{"errors": append([]string{}, errs...)})
	}
	if r.URL.Path == "/v1/auth/kubernetes/login" && r.Method == http.MethodPost {
		var login struct{ Role, JWT string }
		if err := json.NewDecoder(r.Body).Decode(&login); err != nil || v.opts.KubernetesRole == "" ||
			login.Role != v.opts.KubernetesRole || login.JWT != v.opts.KubernetesJWT {
			fail(http.StatusForbidden, "permission denied")
			return
		}
		writeJSON(w, "application/json", http.StatusOK, map[string]any{"auth": map[string]any{"client_token": v.opts.Token, "renewable": true, "lease_duration": 3600}})
		return
	}
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1/") {
		fail(http.StatusMethodNotAllowed, "unsupported operation")
		return
	}
	if r.Header.Get("X-Vault-Token") != v.opts.Token || v.opts.Token == "" {
		fail(http.StatusForbidden, "permission denied")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	if rest, ok := strings.CutPrefix(path, "sys/internal/ui/mounts/"); ok {
		mount, version := v.mountOf(rest)
		switch {
		case v.opts.DenyMountLookup:
			fail(http.StatusForbidden, "permission denied")
		case mount == "":
			fail(http.StatusBadRequest, "no mount found for path "+rest)
		default:
			writeJSON(w, "application/json", http.StatusOK, vaultResponse(map[string]any{
				"path": mount, "type": "kv", "description": "key/value secret storage",
				"options": map[string]string{"version": map[int]string{1: "1", 2: "2"}[version]},
			}, nil))
		}
		return
	}
	mount, version := v.mountOf(path)
	if mount == "" {
		fail(http.StatusNotFound, "no handler for route \""+path+"\". route entry not found.")
		return
	}
	name := strings.TrimPrefix(path, mount)
	v.mu.Lock()
	defer v.mu.Unlock()
	if version == 1 {
		data, ok := v.secrets[mount+name]
		if !ok {
			fail(http.StatusNotFound)
			return
		}
		writeJSON(w, "application/json", http.StatusOK, vaultResponse(data, nil))
		return
	}
	name, ok := strings.CutPrefix(name, "data/")
	if !ok {
		writeJSON(w, "application/json", http.StatusNotFound, vaultResponse(nil, []string{"Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation."}))
		return
	}
	data, ok := v.secrets[mount+name]
	if !ok {
		fail(http.StatusNotFound)
		return
	}
	meta := map[string]any{"created_time": time.Now().UTC().Format(time.RFC3339Nano), "custom_metadata": nil, "deletion_time": "", "destroyed": false, "version": 1}
	if v.deleted[mount+name] {
		meta["deletion_time"] = time.Now().UTC().Format(time.RFC3339Nano)
		writeJSON(w, "application/json", http.StatusNotFound, vaultResponse(map[string]any{"data": nil, "metadata": meta}, nil))
		return
	}
	writeJSON(w, "application/json", http.StatusOK, vaultResponse(map[string]any{"data": data, "metadata": meta}, nil))
}

// mountOf returns the mount (the longest matching prefix) of path.
func (v *Vault) mountOf(path string) (string, int) {
	mounts := make([]string, 0, len(v.opts.Mounts))
	for m := range v.opts.Mounts {
		mounts = append(mounts, m)
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	for _, m := range mounts {
		if strings.HasPrefix(path+"/", m) {
			return m, v.opts.Mounts[m]
		}
	}
	return "", 0
}

// vaultResponse is Vault's response envelope.
func vaultResponse(data map[string]any, warnings []string) map[string]any {
	var d any
	if data != nil {
		d = data
	}
	return map[string]any{
		"request_id": "00000000-0000-0000-0000-000000000000", "lease_id": "", "renewable": false,
		"lease_duration": 0, "data": d, "wrap_info": nil, "warnings": warnings, "auth": nil, "mount_type": "kv",
	}
}
