package sops_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/internal/sops"
	"github.com/kluctl-go/kluctl/internal/sops/sopstest"

	"github.com/ProtonMail/go-crypto/openpgp"
)

func TestDecryptAgeAndPGP(t *testing.T) {
	id, rcpt, err := sopstest.NewAge()
	if err != nil {
		t.Fatal(err)
	}
	entity, armored, err := sopstest.NewPGP("test")
	if err != nil {
		t.Fatal(err)
	}
	plain := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: very-secret-value\n"
	enc, err := sopstest.Encrypt("secret.yaml", []byte(plain), sopstest.Options{Age: []string{rcpt}, PGP: []*openpgp.Entity{entity}, EncryptedRegex: "^(data|stringData)$"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), "very-secret-value") || !sops.IsEncrypted("secret.yaml", enc) {
		t.Fatalf("not encrypted:\n%s", enc)
	}
	ids, err := sops.ParseAgeIdentities([]byte(id))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := sops.PGPKeyring(armored)
	if err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string]sops.Keys{"age": {Age: ids}, "pgp": {PGP: ring}} {
		out, err := sops.New(keys).Decrypt(context.Background(), "secret.yaml", enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(string(out), "password: very-secret-value") || strings.Contains(string(out), "sops:") {
			t.Errorf("%s: decrypted:\n%s", name, out)
		}
	}
	_, err = sops.New(sops.Keys{}).Decrypt(context.Background(), "secret.yaml", enc)
	var ke *sops.KeyError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), rcpt) || !strings.Contains(err.Error(), "secret.yaml") {
		t.Errorf("without keys: %v", err)
	}
	tampered := strings.Replace(string(enc), "name: s", "name: t", 1)
	if _, err := sops.New(sops.Keys{Age: ids}).Decrypt(context.Background(), "secret.yaml", []byte(tampered)); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Errorf("a changed file: %v", err)
	}
}
