package controller

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/sops"
)

// decrypt returns the engine's SOPS decryption with the keys of
// spec.decryption.secretRef, in Flux's format: every entry ending in
// .agekey holds age identities, every one ending in .asc an armored PGP
// private key. Without spec.decryption a SOPS file fails to decrypt,
// naming the file. The controller never uses keys of its own environment.
func (rc *run) decrypt() project.DecryptFunc {
	return sops.Func(func() (sops.Keys, error) {
		var keys sops.Keys
		d := rc.kd.Spec.Decryption
		if d == nil || d.SecretRef == nil {
			return keys, nil
		}
		data, err := rc.secretData(d.SecretRef.Name, discard{})
		if err != nil {
			return keys, fmt.Errorf("spec.decryption.secretRef: %w", err)
		}
		names := make([]string, 0, len(data))
		for k := range data {
			names = append(names, k)
		}
		sort.Strings(names)
		var armored [][]byte
		for _, k := range names {
			switch {
			case strings.HasSuffix(k, ".agekey"):
				ids, err := sops.ParseAgeIdentities(data[k])
				if err != nil {
					return keys, fmt.Errorf("spec.decryption.secretRef %s key %s: %w", d.SecretRef.Name, k, err)
				}
				keys.Age = append(keys.Age, ids...)
			case strings.HasSuffix(k, ".asc"):
				armored = append(armored, data[k])
			}
		}
		if len(armored) != 0 {
			if keys.PGP, err = sops.PGPKeyring(armored...); err != nil {
				return keys, fmt.Errorf("spec.decryption.secretRef %s: %w", d.SecretRef.Name, err)
			}
		}
		return keys, nil
	})
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// secretStoreEnv is the environment a deployment's vars sources see: only
// the controller's credentials of secret stores (as the original, whose
// vault, AWS, GCP and Azure sources use the controller's identity), never
// anything else of its environment.
func (r *Reconciler) secretStoreEnv(key string) string {
	if r.opts.Getenv == nil {
		return ""
	}
	for _, p := range []string{"AWS_", "AZURE_", "GOOGLE_", "GCE_METADATA_HOST", "VAULT_", "KLUCTL_AZURE_ACCESS_TOKEN", "KLUCTL_GCP_SECRET_MANAGER_ENDPOINT"} {
		if strings.HasPrefix(key, p) {
			return r.opts.Getenv(key)
		}
	}
	return ""
}
