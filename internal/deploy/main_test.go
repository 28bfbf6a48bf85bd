package deploy_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}

// env is one test's cluster access and namespace.
type env struct {
	t  *testing.T
	c  *k8s.Clients
	ns string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cl := simcluster.Current(t)
	c, err := k8s.NewClients(cl.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, c: c, ns: cl.NewNamespace(t)}
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	e.t.Cleanup(cancel)
	return ctx
}

// objects parses multi-document YAML; NS is replaced by the test namespace
// and the discriminator label is added to every object.
func (e *env) objects(disc, docs string) []*unstructured.Unstructured {
	e.t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range strings.Split(strings.ReplaceAll(docs, "NS", e.ns), "\n---\n") {
		if strings.TrimSpace(d) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(d))
		if err != nil {
			e.t.Fatalf("parse fixture: %v\n%s", err, d)
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(j); err != nil {
			e.t.Fatalf("parse fixture: %v\n%s", err, d)
		}
		if disc != "" {
			l := o.GetLabels()
			if l == nil {
				l = map[string]string{}
			}
			l[k8s.LabelDiscriminator] = disc
			o.SetLabels(l)
		}
		out = append(out, o)
	}
	return out
}

// result builds a one-item render result.
func (e *env) result(disc string, items ...[]*unstructured.Unstructured) *render.Result {
	r := &render.Result{Target: "test", Discriminator: disc}
	for _, objs := range items {
		r.Items = append(r.Items, &render.Item{Dir: "item", Objects: objs})
	}
	return r
}

// get reads an object from the cluster; nil when it does not exist.
func (e *env) get(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	e.t.Helper()
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	ri, _, err := e.c.Resource(gvk, ns)
	if err != nil {
		e.t.Fatal(err)
	}
	o, err := ri.Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// outputs renders r in every output format, for leak checks.
func outputs(t *testing.T, r *result.Result) string {
	t.Helper()
	var b bytes.Buffer
	for _, f := range []string{result.FormatJSON, result.FormatYAML, result.FormatText} {
		if err := result.Write(&b, r, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := result.PrintText(&b, r, true); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
