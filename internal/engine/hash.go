package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/kluctl-go/kluctl/internal/render"
)

// ObjectsHash hashes the rendered objects a deploy applies, as the original
// computes renderedObjectsHash: the SHA-256 of each object's JSON encoding
// (Go's encoding/json: compact, keys sorted), then the SHA-256 over those
// digests in deployment order, hex-encoded. Objects of excluded and
// only-render items do not count.
func ObjectsHash(res *render.Result) (string, error) {
	h := sha256.New()
	for _, it := range res.Items {
		if it.OnlyRender || (it.Excluded && !it.AlwaysDeploy) {
			continue
		}
		for _, o := range it.Objects {
			b, err := json.Marshal(o.Object)
			if err != nil {
				return "", fmt.Errorf("hash object %s/%s: %w", o.GetKind(), o.GetName(), err)
			}
			sum := sha256.Sum256(b)
			h.Write(sum[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
