package sops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// ParseAgeIdentities parses age identities (AGE-SECRET-KEY-... lines;
// comments and empty lines are ignored).
func ParseAgeIdentities(data []byte) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("age identities: %w", err)
	}
	return ids, nil
}

// PGPKeyring returns a PGP decrypter over armored private keys (the
// *.asc entries of a Flux decryption Secret), in memory.
func PGPKeyring(armored ...[]byte) (func(context.Context, string, []byte) ([]byte, error), error) {
	var ring openpgp.EntityList
	for _, a := range armored {
		l, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(a))
		if err != nil {
			return nil, fmt.Errorf("PGP key: %w", err)
		}
		ring = append(ring, l...)
	}
	return func(_ context.Context, _ string, ciphertext []byte) ([]byte, error) {
		block, err := armor.Decode(bytes.NewReader(ciphertext))
		if err != nil {
			return nil, err
		}
		md, err := openpgp.ReadMessage(block.Body, ring, nil, nil)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(io.LimitReader(md.UnverifiedBody, 1<<16))
	}, nil
}

// GPG returns a PGP decrypter that runs the gpg binary (its keyring and
// agent), with GNUPGHOME set to home when it is not empty, as SOPS does.
// Its calls run one at a time: gpg processes that start the agent together
// may fail to reach it, so a failed call is also tried once more.
func GPG(home string) func(context.Context, string, []byte) ([]byte, error) {
	var mu sync.Mutex
	run := func(ctx context.Context, path string, ciphertext []byte) ([]byte, error) {
		cmd := exec.CommandContext(ctx, path, "--batch", "--quiet", "--no-tty", "--decrypt")
		if home != "" {
			cmd.Env = append(cmd.Environ(), "GNUPGHOME="+home)
		}
		cmd.Stdin = bytes.NewReader(ciphertext)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("gpg: %v: %s", err, strings.TrimSpace(errOut.String()))
		}
		return out.Bytes(), nil
	}
	return func(ctx context.Context, _ string, ciphertext []byte) ([]byte, error) {
		path, err := exec.LookPath("gpg")
		if err != nil {
			return nil, errors.New("gpg is not installed")
		}
		mu.Lock()
		defer mu.Unlock()
		out, err := run(ctx, path, ciphertext)
		if err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
				out, err = run(ctx, path, ciphertext)
			}
		}
		return out, err
	}
}
