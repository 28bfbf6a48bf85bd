// Package sops decrypts files encrypted with SOPS (github.com/getsops/sops)
// with age and PGP keys given to it: no key is looked up from the process
// environment, so one process can decrypt for several deployments with
// different keys. Decrypted data only ever lives in memory here.
package sops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	sopsv3 "github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/stores/dotenv"
	"github.com/getsops/sops/v3/stores/ini"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
)

// Keys are the keys a Decrypter may use.
type Keys struct {
	// Age are age identities.
	Age []age.Identity
	// PGP decrypts a PGP-encrypted data key (armored) for a key
	// fingerprint; nil when no PGP key is available.
	PGP func(ctx context.Context, fingerprint string, ciphertext []byte) ([]byte, error)
}

// Decrypter decrypts SOPS files with Keys. It is safe for concurrent use.
type Decrypter struct {
	keys Keys
}

// New returns a Decrypter with keys.
func New(keys Keys) *Decrypter { return &Decrypter{keys: keys} }

// IsEncrypted tells whether data (the file at path) looks like a SOPS file:
// YAML or JSON with a top-level sops section holding a mac, or a dotenv/ini
// file with sops_mac.
func IsEncrypted(path string, data []byte) bool {
	switch formatOf(path) {
	case formats.Dotenv, formats.Ini:
		return bytes.Contains(data, []byte("sops_mac"))
	}
	return (bytes.Contains(data, []byte("\nsops:")) || bytes.HasPrefix(data, []byte("sops:")) || bytes.Contains(data, []byte(`"sops":`))) &&
		bytes.Contains(data, []byte("mac"))
}

// formatOf is the SOPS format of a file by its extension; YAML otherwise.
func formatOf(path string) formats.Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return formats.Json
	case ".env":
		return formats.Dotenv
	case ".ini":
		return formats.Ini
	}
	return formats.Yaml
}

type store interface {
	LoadEncryptedFile(in []byte) (sopsv3.Tree, error)
	EmitPlainFile(sopsv3.TreeBranches) ([]byte, error)
}

func storeFor(f formats.Format) store {
	switch f {
	case formats.Json:
		return sopsjson.NewStore(&config.JSONStoreConfig{})
	case formats.Dotenv:
		return dotenv.NewStore(&config.DotenvStoreConfig{})
	case formats.Ini:
		return ini.NewStore(&config.INIStoreConfig{})
	}
	return sopsyaml.NewStore(&config.YAMLStoreConfig{})
}

// KeyError is an encrypted file none of whose keys is available.
type KeyError struct {
	Path string
	// Recipients are the age recipients and PGP fingerprints it is
	// encrypted for.
	Recipients []string
	Err        error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("%s is encrypted with SOPS, but none of its keys is available (%s): %v", e.Path, strings.Join(e.Recipients, ", "), e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Decrypt returns the plain content of the SOPS file data (read from
// path), after checking its MAC.
func (d *Decrypter) Decrypt(ctx context.Context, path string, data []byte) ([]byte, error) {
	st := storeFor(formatOf(path))
	tree, err := st.LoadEncryptedFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid SOPS file: %w", path, err)
	}
	svc := &keyService{ctx: ctx, keys: d.keys}
	key, err := tree.Metadata.GetDataKeyWithKeyServices([]keyservice.KeyServiceClient{svc}, nil)
	if err != nil {
		return nil, &KeyError{Path: path, Recipients: recipients(tree.Metadata), Err: errors.New(firstLine(err.Error()))}
	}
	cipher := aes.NewCipher()
	mac, err := tree.Decrypt(key, cipher)
	if err != nil {
		return nil, fmt.Errorf("%s: decrypt: %w", path, err)
	}
	orig, err := cipher.Decrypt(tree.Metadata.MessageAuthenticationCode, key, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("%s: decrypt the MAC: %w", path, err)
	}
	if orig != mac {
		return nil, fmt.Errorf("%s: the SOPS MAC does not match: the file was changed after it was encrypted", path)
	}
	out, err := st.EmitPlainFile(tree.Branches)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// recipients names the keys a file is encrypted for.
func recipients(m sopsv3.Metadata) []string {
	var out []string
	for _, g := range m.KeyGroups {
		for _, k := range g {
			out = append(out, k.TypeToIdentifier()+" "+k.ToString())
		}
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + " ..."
	}
	return s
}
