package diff

import (
	"encoding/base64"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// maskedSecretValue is what a Secret's data values become in stored and
// printed objects: the base64 encoding of Mask, so that the object stays a
// valid Secret.
var maskedSecretValue = base64.StdEncoding.EncodeToString([]byte(Mask))

// lastAppliedAnnotation may hold a copy of a Secret's data.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Value returns v with every sensitive string masked. v is not changed:
// the parts that need masking are copied, the rest is shared.
func (m *Masker) Value(v any) any {
	if m.Empty() {
		return v
	}
	out, _ := m.cow(v)
	return out
}

func (m *Masker) cow(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		s := m.String(x)
		return s, s != x
	case map[string]any:
		var cp map[string]any
		for k, e := range x {
			if ne, changed := m.cow(e); changed {
				if cp == nil {
					cp = maps.Clone(x)
				}
				cp[k] = ne
			}
		}
		if cp == nil {
			return x, false
		}
		return cp, true
	case []any:
		var cp []any
		for i, e := range x {
			if ne, changed := m.cow(e); changed {
				if cp == nil {
					cp = append([]any(nil), x...)
				}
				cp[i] = ne
			}
		}
		if cp == nil {
			return x, false
		}
		return cp, true
	}
	return v, false
}

// MaskedObject returns the content of obj as it may leave the pipeline in
// a command result: a Secret's data and stringData values (and a
// last-applied copy of them) replaced, sensitive values masked. obj is not
// changed; nil gives nil.
func MaskedObject(obj *unstructured.Unstructured, m *Masker) map[string]any {
	if obj == nil {
		return nil
	}
	content := obj.Object
	if IsSecret(obj) {
		content = maps.Clone(content)
		for field, masked := range map[string]string{"data": maskedSecretValue, "stringData": Mask} {
			if d, ok := content[field].(map[string]any); ok {
				md := make(map[string]any, len(d))
				for k := range d {
					md[k] = masked
				}
				content[field] = md
			}
		}
		if md, ok := content["metadata"].(map[string]any); ok {
			if ann, ok := md["annotations"].(map[string]any); ok {
				if _, has := ann[lastAppliedAnnotation]; has {
					md = maps.Clone(md)
					ann = maps.Clone(ann)
					ann[lastAppliedAnnotation] = Mask
					md["annotations"] = ann
					content["metadata"] = md
				}
			}
		}
	}
	out, _ := m.Value(content).(map[string]any)
	return out
}
