package sops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/getsops/sops/v3/keyservice"
	"google.golang.org/grpc"
)

// keyService decrypts the data keys of a SOPS file with Keys only.
type keyService struct {
	ctx  context.Context
	keys Keys
}

// Encrypt implements keyservice.KeyServiceClient; nothing is encrypted here.
func (s *keyService) Encrypt(context.Context, *keyservice.EncryptRequest, ...grpc.CallOption) (*keyservice.EncryptResponse, error) {
	return nil, errors.New("encryption is not supported")
}

// Decrypt implements keyservice.KeyServiceClient for age and PGP keys.
func (s *keyService) Decrypt(_ context.Context, req *keyservice.DecryptRequest, _ ...grpc.CallOption) (*keyservice.DecryptResponse, error) {
	k := req.GetKey()
	switch {
	case k.GetAgeKey() != nil:
		if len(s.keys.Age) == 0 {
			return nil, errors.New("no age identity given")
		}
		r, err := age.Decrypt(armor.NewReader(bytes.NewReader(req.GetCiphertext())), s.keys.Age...)
		if err != nil {
			return nil, fmt.Errorf("age: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(r, 1<<16))
		if err != nil {
			return nil, fmt.Errorf("age: %w", err)
		}
		return &keyservice.DecryptResponse{Plaintext: plain}, nil
	case k.GetPgpKey() != nil:
		if s.keys.PGP == nil {
			return nil, errors.New("no PGP key given")
		}
		plain, err := s.keys.PGP(s.ctx, k.GetPgpKey().GetFingerprint(), req.GetCiphertext())
		if err != nil {
			return nil, fmt.Errorf("pgp: %w", err)
		}
		return &keyservice.DecryptResponse{Plaintext: plain}, nil
	}
	return nil, fmt.Errorf("keys of type %T are not supported (only age and PGP)", k.GetKeyType())
}
