package projectargs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/project"
	"github.com/kluctl-go/kluctl/internal/sops"
)

// sopsDecrypt returns the engine's SOPS decryption with the user's keys,
// found as SOPS finds them: age identities in $SOPS_AGE_KEY,
// $SOPS_AGE_KEY_FILE and $XDG_CONFIG_HOME/sops/age/keys.txt (else
// ~/.config/sops/age/keys.txt), PGP keys through gpg ($GNUPGHOME).
func sopsDecrypt(fa *factory.Factory) project.DecryptFunc {
	return sops.Func(func() (sops.Keys, error) {
		var keys sops.Keys
		add := func(what string, data []byte) error {
			ids, err := sops.ParseAgeIdentities(data)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			keys.Age = append(keys.Age, ids...)
			return nil
		}
		if s := fa.Getenv("SOPS_AGE_KEY"); s != "" {
			if err := add("SOPS_AGE_KEY", []byte(s)); err != nil {
				return keys, err
			}
		}
		if p := fa.Getenv("SOPS_AGE_KEY_FILE"); p != "" {
			b, err := os.ReadFile(fa.ExpandHome(p))
			if err != nil {
				return keys, fmt.Errorf("SOPS_AGE_KEY_FILE: %w", err)
			}
			if err := add(p, b); err != nil {
				return keys, err
			}
		}
		cfg := fa.Getenv("XDG_CONFIG_HOME")
		if cfg == "" && fa.Getenv("HOME") != "" {
			cfg = filepath.Join(fa.Getenv("HOME"), ".config")
		}
		if cfg != "" {
			p := filepath.Join(cfg, "sops", "age", "keys.txt")
			b, err := os.ReadFile(p)
			switch {
			case err == nil:
				if err := add(p, b); err != nil {
					return keys, err
				}
			case !errors.Is(err, fs.ErrNotExist):
				return keys, err
			}
		}
		keys.PGP = sops.GPG(fa.Getenv("GNUPGHOME"))
		return keys, nil
	})
}
