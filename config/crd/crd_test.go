package crd_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/config/crd"
)

// definition is the part of a CustomResourceDefinition the tests look at.
type definition struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind     string `json:"kind"`
			ListKind string `json:"listKind"`
			Plural   string `json:"plural"`
			Singular string `json:"singular"`
		} `json:"names"`
		Scope    string `json:"scope"`
		Versions []struct {
			Name    string `json:"name"`
			Served  bool   `json:"served"`
			Storage bool   `json:"storage"`
			Columns []struct {
				Name     string `json:"name"`
				JSONPath string `json:"jsonPath"`
			} `json:"additionalPrinterColumns"`
			Subresources map[string]any `json:"subresources"`
			Schema       struct {
				OpenAPIV3Schema schema `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// schema is the part of an OpenAPI schema the tests look at.
type schema struct {
	Type                  string            `json:"type"`
	AdditionalProperties  *schema           `json:"additionalProperties"`
	Properties            map[string]schema `json:"properties"`
	Items                 *schema           `json:"items"`
	Required              []string          `json:"required"`
	Enum                  []string          `json:"enum"`
	Default               any               `json:"default"`
	PreserveUnknownFields bool              `json:"x-kubernetes-preserve-unknown-fields"`
}

// at walks down properties (and array items, written "[]").
func (s schema) at(t *testing.T, path ...string) schema {
	t.Helper()
	for _, p := range path {
		if p == "[]" {
			if s.Items == nil {
				t.Fatalf("%v: no array items", path)
			}
			s = *s.Items
			continue
		}
		next, ok := s.Properties[p]
		if !ok {
			t.Fatalf("%v: no property %q", path, p)
		}
		s = next
	}
	return s
}

func TestCRDs(t *testing.T) {
	tests := []struct {
		name     string
		read     func() ([]byte, error)
		wantName string
		group    string
		kind     string
		plural   string
		version  string
		columns  []string
	}{
		{
			name: "gitops KluctlDeployment", read: crd.KluctlDeployment,
			wantName: "kluctldeployments.gitops.kluctl.io", group: "gitops.kluctl.io",
			kind: "KluctlDeployment", plural: "kluctldeployments", version: "v1beta1",
			columns: []string{"Suspend", "DryRun", "Deployed", "Ready", "Drift", "Status", "Age"},
		},
		{
			name: "flux KluctlDeployment", read: crd.FluxKluctlDeployment,
			wantName: "kluctldeployments.flux.kluctl.io", group: "flux.kluctl.io",
			kind: "KluctlDeployment", plural: "kluctldeployments", version: "v1alpha1",
			columns: []string{"Deployed", "Pruned", "Validated", "Ready", "Status", "Age"},
		},
		{
			name: "flux KluctlMultiDeployment", read: crd.FluxKluctlMultiDeployment,
			wantName: "kluctlmultideployments.flux.kluctl.io", group: "flux.kluctl.io",
			kind: "KluctlMultiDeployment", plural: "kluctlmultideployments", version: "v1alpha1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.read()
			if err != nil {
				t.Fatal(err)
			}
			var d definition
			if err := yaml.Unmarshal(b, &d); err != nil {
				t.Fatalf("parse CRD: %v", err)
			}
			if d.APIVersion != "apiextensions.k8s.io/v1" || d.Kind != "CustomResourceDefinition" {
				t.Errorf("apiVersion/kind = %s/%s", d.APIVersion, d.Kind)
			}
			if d.Metadata.Name != tt.wantName || d.Spec.Group != tt.group || d.Spec.Scope != "Namespaced" {
				t.Errorf("name %q group %q scope %q, want %q %q Namespaced", d.Metadata.Name, d.Spec.Group, d.Spec.Scope, tt.wantName, tt.group)
			}
			names := d.Spec.Names
			if names.Kind != tt.kind || names.ListKind != tt.kind+"List" || names.Plural != tt.plural {
				t.Errorf("names = %+v", names)
			}
			if len(d.Spec.Versions) != 1 {
				t.Fatalf("%d versions, want 1", len(d.Spec.Versions))
			}
			v := d.Spec.Versions[0]
			if v.Name != tt.version || !v.Served || !v.Storage {
				t.Errorf("version %q served=%v storage=%v, want %q served storage", v.Name, v.Served, v.Storage, tt.version)
			}
			if _, ok := v.Subresources["status"]; !ok {
				t.Error("no status subresource")
			}
			var columns []string
			for _, c := range v.Columns {
				columns = append(columns, c.Name)
			}
			if diff := cmp.Diff(tt.columns, columns); diff != "" {
				t.Errorf("print columns (-want +got):\n%s", diff)
			}
		})
	}
}

func fluxSpecs(t *testing.T) (kd, mdTemplate, md schema) {
	t.Helper()
	parse := func(read func() ([]byte, error)) schema {
		b, err := read()
		if err != nil {
			t.Fatal(err)
		}
		var d definition
		if err := yaml.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	kd = parse(crd.FluxKluctlDeployment).at(t, "spec")
	md = parse(crd.FluxKluctlMultiDeployment).at(t, "spec")
	return kd, md.at(t, "template", "spec"), md
}

func TestFluxKluctlDeploymentSchema(t *testing.T) {
	kd, mdTemplate, md := fluxSpecs(t)

	if diff := cmp.Diff([]string{"interval", "sourceRef", "target"}, kd.Required); diff != "" {
		t.Errorf("KluctlDeployment spec required (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"interval", "sourceRef", "targetPattern", "template"}, md.Required); diff != "" {
		t.Errorf("KluctlMultiDeployment spec required (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GitRepository", "Bucket"}, kd.at(t, "sourceRef", "kind").Enum); diff != "" {
		t.Errorf("sourceRef.kind enum (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"kind", "name"}, kd.at(t, "sourceRef").Required); diff != "" {
		t.Errorf("sourceRef required (-want +got):\n%s", diff)
	}
	if !kd.at(t, "args").PreserveUnknownFields {
		t.Error("args does not preserve unknown fields")
	}

	// The template holds every KluctlDeployment field but the project
	// location and the target, with the same defaults.
	notInTemplate := map[string]bool{"dependsOn": true, "path": true, "sourceRef": true, "suspend": true, "target": true}
	for name, prop := range kd.Properties {
		tp, inTemplate := mdTemplate.Properties[name]
		if notInTemplate[name] {
			if inTemplate {
				t.Errorf("template has %s", name)
			}
			if _, ok := md.Properties[name]; !ok && name != "target" {
				t.Errorf("KluctlMultiDeployment spec lacks %s", name)
			}
			continue
		}
		if !inTemplate {
			t.Errorf("template lacks %s", name)
			continue
		}
		if diff := cmp.Diff(prop.Default, tp.Default); diff != "" {
			t.Errorf("%s default differs between KluctlDeployment and template (-kd +template):\n%s", name, diff)
		}
	}

	// Labels and annotations of the created KluctlDeployments sit next to
	// the template's spec, string maps (and so are not pruned).
	for _, name := range []string{"labels", "annotations"} {
		if got := md.at(t, "template", name); got.Type != "object" || got.AdditionalProperties == nil || got.AdditionalProperties.Type != "string" {
			t.Errorf("template.%s: %+v, want an object of strings", name, got)
		}
	}

	defaults := map[string]any{
		"deployMode": "full-deploy", "validateInterval": "5m",
		"prune": false, "dryRun": false, "noWait": false, "updateImages": false,
		"forceApply": false, "replaceOnError": false, "forceReplaceOnError": false, "abortOnError": false,
	}
	for name, want := range defaults {
		if diff := cmp.Diff(want, kd.at(t, name).Default); diff != "" {
			t.Errorf("%s default (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff([]string{"full-deploy", "poke-images"}, kd.at(t, "deployMode").Enum); diff != "" {
		t.Errorf("deployMode enum (-want +got):\n%s", diff)
	}
}

func TestAll(t *testing.T) {
	all, err := crd.All()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range all {
		var d definition
		if err := yaml.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		names = append(names, d.Metadata.Name)
	}
	want := []string{"kluctldeployments.gitops.kluctl.io", "kluctldeployments.flux.kluctl.io", "kluctlmultideployments.flux.kluctl.io"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("All() CRDs (-want +got):\n%s", diff)
	}
}
