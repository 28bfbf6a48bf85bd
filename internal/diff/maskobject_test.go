package diff

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMaskedObjectHidesSecretsEverywhere(t *testing.T) {
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s", "annotations": map[string]any{
			lastAppliedAnnotation: `{"data":{"pw":"` + base64.StdEncoding.EncodeToString([]byte("topsecret1")) + `"}}`,
		}},
		"data":       map[string]any{"pw": base64.StdEncoding.EncodeToString([]byte("topsecret1"))},
		"stringData": map[string]any{"token": "tokenvalue9"},
	}}
	before, _ := json.Marshal(secret.Object)
	got := MaskedObject(secret, NewMasker(nil))
	b, _ := json.Marshal(got)
	for _, leak := range []string{"topsecret1", base64.StdEncoding.EncodeToString([]byte("topsecret1")), "tokenvalue9"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("masked Secret still contains %q: %s", leak, b)
		}
	}
	if got["data"].(map[string]any)["pw"] != maskedSecretValue || got["stringData"].(map[string]any)["token"] != Mask {
		t.Errorf("masked values: %s", b)
	}
	if after, _ := json.Marshal(secret.Object); string(after) != string(before) {
		t.Error("MaskedObject changed its input")
	}
}

func TestMaskedObjectMasksSensitiveValues(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"},
		"data": map[string]any{"dsn": "pg://u:hunter2hunter2@db", "plain": "x"},
		"list": []any{"hunter2hunter2", int64(3)},
	}}
	got := MaskedObject(cm, NewMasker([]string{"hunter2hunter2"}))
	if got["data"].(map[string]any)["dsn"] != "pg://u:*****@db" || got["list"].([]any)[0] != Mask || got["list"].([]any)[1] != int64(3) {
		t.Errorf("masked: %v", got)
	}
	if cm.Object["data"].(map[string]any)["dsn"] != "pg://u:hunter2hunter2@db" {
		t.Error("MaskedObject changed its input")
	}
	// Nothing to mask: the object is shared, not copied.
	plain := MaskedObject(cm, NewMasker([]string{"absent-value"}))
	if plain["data"].(map[string]any)["plain"] != "x" {
		t.Errorf("unmasked: %v", plain)
	}
	if MaskedObject(nil, nil) != nil {
		t.Error("nil object must give nil")
	}
}
