// Package sopstest encrypts files with SOPS for tests: real SOPS files
// (the library's own stores and ciphers) for age recipients and PGP keys
// held in memory.
package sopstest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	sopsv3 "github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/pgp"
	"github.com/getsops/sops/v3/stores/dotenv"
	sopsjson "github.com/getsops/sops/v3/stores/json"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
)

// Options say whom a file is encrypted for and what is encrypted.
type Options struct {
	// Age are age recipients (age1...).
	Age []string
	// PGP are PGP keys (with public parts).
	PGP []*openpgp.Entity
	// EncryptedRegex limits encryption to matching keys, e.g.
	// "^(data|stringData)$" for Kubernetes Secrets; empty encrypts all.
	EncryptedRegex string
}

type store interface {
	LoadPlainFile([]byte) (sopsv3.TreeBranches, error)
	EmitEncryptedFile(sopsv3.Tree) ([]byte, error)
}

// Encrypt encrypts plain (YAML, JSON for .json, dotenv for .env) as
// `sops --encrypt` would.
func Encrypt(path string, plain []byte, opts Options) ([]byte, error) {
	var st store = sopsyaml.NewStore(&config.YAMLStoreConfig{})
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		st = sopsjson.NewStore(&config.JSONStoreConfig{})
	case ".env":
		st = dotenv.NewStore(&config.DotenvStoreConfig{})
	}
	branches, err := st.LoadPlainFile(plain)
	if err != nil {
		return nil, err
	}
	dataKey := make([]byte, 32)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, err
	}
	var group sopsv3.KeyGroup
	for _, r := range opts.Age {
		k, err := sopsage.MasterKeyFromRecipient(r)
		if err != nil {
			return nil, err
		}
		if err := k.Encrypt(dataKey); err != nil {
			return nil, err
		}
		group = append(group, k)
	}
	for _, e := range opts.PGP {
		enc, err := pgpEncrypt(e, dataKey)
		if err != nil {
			return nil, err
		}
		k := pgp.NewMasterKeyFromFingerprint(fmt.Sprintf("%X", e.PrimaryKey.Fingerprint))
		k.SetEncryptedDataKey(enc)
		group = append(group, k)
	}
	tree := sopsv3.Tree{Branches: branches, Metadata: sopsv3.Metadata{
		KeyGroups:      []sopsv3.KeyGroup{group},
		EncryptedRegex: opts.EncryptedRegex,
		Version:        "3.13.3",
	}}
	if opts.EncryptedRegex == "" {
		tree.Metadata.UnencryptedSuffix = sopsv3.DefaultUnencryptedSuffix
	}
	cipher := aes.NewCipher()
	mac, err := tree.Encrypt(dataKey, cipher)
	if err != nil {
		return nil, err
	}
	tree.Metadata.LastModified = time.Now().UTC().Truncate(time.Second)
	tree.Metadata.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return nil, err
	}
	return st.EmitEncryptedFile(tree)
}

// pgpEncrypt encrypts data for e, armored as SOPS stores it.
func pgpEncrypt(e *openpgp.Entity, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		return nil, err
	}
	w, err := openpgp.Encrypt(aw, []*openpgp.Entity{e}, nil, &openpgp.FileHints{IsBinary: true}, nil)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// NewAge returns a fresh age identity (AGE-SECRET-KEY-...) and its
// recipient.
func NewAge() (identity, recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return id.String(), id.Recipient().String(), nil
}

// NewPGP returns a fresh PGP key and its armored private key.
func NewPGP(name string) (*openpgp.Entity, []byte, error) {
	e, err := openpgp.NewEntity(name, "", name+"@example.com", nil)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	return e, buf.Bytes(), nil
}

var _ keys.MasterKey = (*pgp.MasterKey)(nil)
