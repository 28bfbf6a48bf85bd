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
// (diffs, warnings, error messages, progress). The zero value masks
// nothing.
//
// The rule: a sensitive value of at least minSubstringLen characters is
// masked wherever it appears, also inside longer text; a shorter value (at
// least minSensitiveLen characters) is masked only where it stands as a
// whole word, so that a short secret such as "abc" does not garble
// "abcdef" or every occurrence of a common word part. Values shorter than
// minSensitiveLen are not masked. The base64 encodings of values are
// masked by the same rule. Longer values are masked first.
type Masker struct {
	long  []string // masked as substrings
	short []string // masked as whole words
}

const (
	// minSensitiveLen is the shortest sensitive value that is masked.
	minSensitiveLen = 3
	// minSubstringLen is the shortest value masked inside longer words.
	minSubstringLen = 8
)

// NewMasker returns a Masker for the given sensitive values.
func NewMasker(values []string) *Masker {
	seen := map[string]bool{}
	m := &Masker{}
	add := func(s string) {
		if len(s) < minSensitiveLen || seen[s] {
			return
		}
		seen[s] = true
		if len(s) >= minSubstringLen {
			m.long = append(m.long, s)
		} else {
			m.short = append(m.short, s)
		}
	}
	for _, v := range values {
		add(v)
		add(base64.StdEncoding.EncodeToString([]byte(v)))
	}
	byLength := func(l []string) {
		sort.Slice(l, func(i, j int) bool {
			if len(l[i]) != len(l[j]) {
				return len(l[i]) > len(l[j])
			}
			return l[i] < l[j]
		})
	}
	byLength(m.long)
	byLength(m.short)
	return m
}

// Empty tells whether m masks nothing.
func (m *Masker) Empty() bool { return m == nil || len(m.long)+len(m.short) == 0 }

// String returns s with every sensitive value replaced by Mask.
func (m *Masker) String(s string) string {
	if m.Empty() {
		return s
	}
	for _, v := range m.long {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	for _, v := range m.short {
		if strings.Contains(s, v) {
			s = replaceWords(s, v)
		}
	}
	return s
}

// replaceWords replaces the occurrences of v in s that are not part of a
// longer word (letters, digits and _ on either side).
func replaceWords(s, v string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, v)
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		before := i > 0 && isWordByte(rest[i-1]) && isWordByte(v[0])
		end := i + len(v)
		after := end < len(rest) && isWordByte(rest[end]) && isWordByte(v[len(v)-1])
		b.WriteString(rest[:i])
		if before || after {
			b.WriteString(v)
		} else {
			b.WriteString(Mask)
		}
		rest = rest[end:]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// Changes masks sensitive values in the diffs of changes, in place.
func (m *Masker) Changes(changes []Change) {
	if m.Empty() {
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
	if m.Empty() {
		return
	}
	m.pair(oldObj, newObj)
}

func (m *Masker) pair(a, b any) (any, any) {
	switch bv := b.(type) {
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok {
			a = m.old(a)
		}
		for k, v := range bv {
			na, nb := m.pair(am[k], v)
			bv[k] = nb
			if _, ok := am[k]; ok {
				am[k] = na
			}
		}
		for k, v := range am {
			if _, ok := bv[k]; !ok {
				am[k] = m.old(v)
			}
		}
		return a, b
	case []any:
		al, ok := a.([]any)
		if !ok {
			a = m.old(a)
		}
		for i := len(bv); i < len(al); i++ {
			al[i] = m.old(al[i])
		}
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
		as, isStr := a.(string)
		if masked == bv {
			if isStr {
				return m.String(as), b
			}
			return m.old(a), b
		}
		if isStr {
			if as == bv {
				return masked, masked
			}
			// The old string may hold the previous, unknown value of the
			// secret: hide it as a whole.
			return maskOld, masked
		}
		return m.old(a), masked
	}
	return m.old(a), b
}

// old masks the known sensitive values in an old value that has no
// counterpart in the new object (a removed field or list item).
func (m *Masker) old(a any) any {
	switch x := a.(type) {
	case string:
		return m.String(x)
	case map[string]any:
		for k, v := range x {
			x[k] = m.old(v)
		}
	case []any:
		for i, v := range x {
			x[i] = m.old(v)
		}
	}
	return a
}
