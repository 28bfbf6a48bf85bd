package validate_test

import (
	"context"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/render"
	"github.com/kluctl-go/kluctl/internal/simcluster"
	"github.com/kluctl-go/kluctl/internal/validate"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}

func TestValidate(t *testing.T) {
	cl := simcluster.Current(t)
	c, err := k8s.NewClients(cl.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ns := cl.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mk := func(name string, ann map[string]string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
		o.SetName(name)
		o.SetNamespace(ns)
		o.SetAnnotations(ann)
		return o
	}
	ready := mk("ready", nil)
	notReady := mk("not-ready", map[string]string{k8s.AnnotationIsReady: "false"})
	res := &render.Result{Target: "t", Items: []*render.Item{{Objects: []*unstructured.Unstructured{ready, notReady}}}}

	vr, err := validate.Validate(ctx, c, res, validate.Options{})
	if err == nil || vr.Ready || len(vr.Errors) != 2 {
		t.Fatalf("before deploy: want two missing objects, got err=%v %+v", err, vr)
	}
	if _, err := deploy.Deploy(ctx, c, res, deploy.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	vr, err = validate.Validate(ctx, c, res, validate.Options{})
	if err == nil || vr.Ready {
		t.Fatalf("want not ready, got %+v", vr)
	}
	if len(vr.Warnings) != 1 || vr.Warnings[0].Ref.Name != "not-ready" || len(vr.Errors) != 0 {
		t.Errorf("want one not-ready warning for not-ready, got %+v", vr)
	}

	res.Items[0].Objects = []*unstructured.Unstructured{ready}
	vr, err = validate.Validate(ctx, c, res, validate.Options{})
	if err != nil || !vr.Ready {
		t.Errorf("want ready, got err=%v %+v", err, vr)
	}
}
