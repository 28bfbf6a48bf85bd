package result

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/internal/diff"
	"github.com/kluctl-go/kluctl/internal/k8s"
)

func sample() *Result {
	cm := k8s.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "cm"}
	return &Result{
		Command:    "deploy",
		NewObjects: []k8s.ObjectRef{{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "web"}},
		ChangedObjects: []ChangedObject{{Ref: cm, Changes: []diff.Change{
			{Type: diff.ChangeUpdate, JSONPath: "data.a", UnifiedDiff: "-1\n+2"},
		}}},
		OrphanObjects: []k8s.ObjectRef{{Version: "v1", Kind: "Secret", Namespace: "ns", Name: "old"}},
		Warnings:      []ObjectMessage{{Ref: cm, Message: "lost field ownership"}},
		Errors:        []ObjectMessage{{Message: "boom"}},
	}
}

func TestWriteJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatJSON); err != nil {
		t.Fatal(err)
	}
	var got Result
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sample(), &got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	for _, key := range []string{`"newObjects"`, `"changedObjects"`, `"jsonPath"`, `"unifiedDiff"`, `"orphanObjects"`, `"errors"`, `"warnings"`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestWriteYAMLAndUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), FormatYAML); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "changedObjects:") || !strings.Contains(buf.String(), "jsonPath: data.a") {
		t.Errorf("unexpected YAML:\n%s", buf.String())
	}
	if err := Write(&buf, sample(), "xml"); err == nil {
		t.Error("want error for unknown format")
	}
}

func TestPrintText(t *testing.T) {
	var plain, colored bytes.Buffer
	if err := PrintText(&plain, sample(), false); err != nil {
		t.Fatal(err)
	}
	if err := PrintText(&colored, sample(), true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"New objects:", "ns/apps/Deployment/web", "Diff for object ns/ConfigMap/cm", "data.a (update)", "    -1", "    +2", "Orphan objects:", "Errors:", "boom", "Summary: 1 new, 1 changed"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, plain.String())
		}
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain output contains escape codes")
	}
	if !strings.Contains(colored.String(), ansiRed+"-1"+ansiReset) || !strings.Contains(colored.String(), ansiGreen+"+2"+ansiReset) {
		t.Errorf("colored output lacks colored diff lines:\n%q", colored.String())
	}
}

func TestErr(t *testing.T) {
	if (&Result{}).Err() != nil {
		t.Error("empty result must not fail")
	}
	err := sample().Err()
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Err() = %v", err)
	}
	v := &ValidateResult{Ready: false, Objects: []ObjectStatus{{Ref: k8s.ObjectRef{Kind: "Job", Name: "j"}}}}
	if v.Err() == nil {
		t.Error("not ready validate result must fail")
	}
}
