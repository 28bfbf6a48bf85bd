package diff

import (
	"encoding/base64"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Mask is the replacement text for hidden values.
const Mask = "*****"

// Marker texts that show that a hidden Secret value changed.
const (
	maskOld = Mask + " (obfuscated, old)"
	maskNew = Mask + " (obfuscated, new)"
)

// IsSecret reports whether obj is a core/v1 Secret.
func IsSecret(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// MaskSecretPair hides the values of data and stringData of two normalised
// Secret objects in place before they are compared. Keys stay visible; a
// value equal on both sides becomes "*****" on both sides (no change), a
// changed value becomes two distinct markers so that the diff still shows
// that it changed. Either side may be nil (new or deleted object).
func MaskSecretPair(oldObj, newObj map[string]any) {
	for _, field := range []string{"data", "stringData"} {
		var om, nm map[string]any
		if oldObj != nil {
			om, _ = oldObj[field].(map[string]any)
		}
		if newObj != nil {
			nm, _ = newObj[field].(map[string]any)
		}
		for k, v := range om {
			if nv, ok := nm[k]; ok && nv == v {
				om[k], nm[k] = Mask, Mask
			} else {
				om[k] = maskOld
			}
		}
		for k, v := range nm {
			if v != Mask {
				nm[k] = maskNew
			}
		}
	}
}

// Masker replaces sensitive values in any text that leaves the pipeline
// (diffs, warnings, error messages). The zero value masks nothing.
type Masker struct {
	values []string
}

// minSensitiveLen is the shortest sensitive value that is masked; shorter
// values would mask unrelated text all over the output.
const minSensitiveLen = 3

// NewMasker returns a Masker for the given sensitive values. Their base64
// encodings are masked too, as they appear in Secret data.
func NewMasker(values []string) *Masker {
	seen := map[string]bool{}
	var vs []string
	add := func(s string) {
		if len(s) >= minSensitiveLen && !seen[s] {
			seen[s] = true
			vs = append(vs, s)
		}
	}
	for _, v := range values {
		add(v)
		add(base64.StdEncoding.EncodeToString([]byte(v)))
	}
	// longest first, so that a value containing another is masked whole
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	return &Masker{values: vs}
}

// String returns s with every sensitive value replaced by Mask.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	for _, v := range m.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return s
}

// Changes masks sensitive values in the diffs of changes, in place.
func (m *Masker) Changes(changes []Change) {
	if m == nil || len(m.values) == 0 {
		return
	}
	for i := range changes {
		changes[i].UnifiedDiff = m.String(changes[i].UnifiedDiff)
		changes[i].JSONPath = m.String(changes[i].JSONPath)
	}
}

// Pair masks sensitive values in two normalised objects in place before
// they are compared. A string of newObj that contains a sensitive value is
// masked; the old string at the same path is masked as a whole when it
// differs, because it likely holds the previous, unknown secret.
func (m *Masker) Pair(oldObj, newObj map[string]any) {
	if m == nil || len(m.values) == 0 {
		return
	}
	m.pair(oldObj, newObj)
}

func (m *Masker) pair(a, b any) (any, any) {
	switch bv := b.(type) {
	case map[string]any:
		am, _ := a.(map[string]any)
		for k, v := range bv {
			na, nb := m.pair(am[k], v)
			bv[k] = nb
			if _, ok := am[k]; ok {
				am[k] = na
			}
		}
		return a, b
	case []any:
		al, _ := a.([]any)
		for i, v := range bv {
			var old any
			if i < len(al) {
				old = al[i]
			}
			na, nb := m.pair(old, v)
			bv[i] = nb
			if i < len(al) {
				al[i] = na
			}
		}
		return a, b
	case string:
		masked := m.String(bv)
		if masked == bv {
			return a, b
		}
		if as, ok := a.(string); ok {
			if as == bv {
				return masked, masked
			}
			return maskOld, masked
		}
		return a, masked
	}
	return a, b
}
