package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/google/go-cmp/cmp"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// examplesCopy copies the shared examples into a fresh git repository, the
// layout the expected renders were made in.
func examplesCopy(t *testing.T) string {
	t.Helper()
	shared := kluctltest.SharedDir(t)
	dst := t.TempDir()
	for _, d := range []string{"microservices-demo", "simple"} {
		kluctltest.CopyDir(t, filepath.Join(shared, "examples", d), filepath.Join(dst, d))
	}
	if _, err := git.PlainInit(dst, false); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestRenderMatchesReferenceImplementation(t *testing.T) {
	repo := examplesCopy(t)
	shared := kluctltest.SharedDir(t)
	cases := []struct {
		name, project, target string
	}{
		{"ms1-local", "microservices-demo/1-basic-project", "local"},
		{"ms3-local", "microservices-demo/3-templating-and-multi-env", "local"},
		{"ms3-test", "microservices-demo/3-templating-and-multi-env", "test"},
		{"ms3-prod", "microservices-demo/3-templating-and-multi-env", "prod"},
		{"simple", "simple", "simple"},
		{"simple-another", "simple", "another"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := kluctltest.Run(t, nil, "render", "--project-dir", filepath.Join(repo, tc.project),
				"-t", tc.target, "--offline-kubernetes", "--kubernetes-version", "1.34.2", "--print-all")
			if res.Code != 0 {
				t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
			}
			want, err := os.ReadFile(filepath.Join(shared, "examples", "expected-render", tc.name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			gotObjs := parseObjects(t, []byte(res.Stdout))
			wantObjs := parseObjects(t, want)
			if diff := cmp.Diff(wantObjs, gotObjs); diff != "" {
				t.Errorf("rendered objects differ from the reference (-want +got):\n%s", diff)
			}
		})
	}
}

// parseObjects parses a YAML stream into objects keyed by kind/ns/name.
func parseObjects(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	dec := yamlutil.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatalf("parse YAML stream: %v", err)
		}
		if o == nil {
			continue
		}
		md, _ := o["metadata"].(map[string]any)
		key := fmt.Sprintf("%v/%v/%v/%v", o["apiVersion"], o["kind"], md["namespace"], md["name"])
		if _, dup := out[key]; dup {
			t.Fatalf("duplicate object %s", key)
		}
		out[key] = o
	}
	return out
}
