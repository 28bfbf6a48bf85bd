package diff

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/render"
)

// Options controls how objects are compared.
type Options struct {
	// IgnoreForDiff are the project's ignoreForDiff rules.
	IgnoreForDiff []render.IgnoreForDiffRule
	// Masker hides sensitive values; nil masks nothing beyond Secret data.
	Masker *Masker
}

// Object returns the changes from live to applied (the object as the API
// server returned it from a real or dry-run apply). local is the rendered
// object whose annotations select ignored fields. Secret data is masked and
// sensitive values are hidden. An empty result means "unchanged".
func Object(live, applied, local *unstructured.Unstructured, opts Options) ([]Change, error) {
	a, err := Normalize(live, local, opts.IgnoreForDiff)
	if err != nil {
		return nil, err
	}
	b, err := Normalize(applied, local, opts.IgnoreForDiff)
	if err != nil {
		return nil, err
	}
	if IsSecret(applied) {
		MaskSecretPair(a, b)
	}
	opts.Masker.Pair(a, b)
	changes := Objects(a, b)
	opts.Masker.Changes(changes)
	return changes, nil
}
