package deploy_test

import (
	"testing"

	"github.com/kluctl-go/kluctl/internal/deploy"
)

func TestDeployNewThenUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	disc := "d-" + e.ns
	res := e.result(disc, e.objects(disc, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1, namespace: NS}
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: NS}
spec:
  ports: [{port: 80}]
`))
	opts := deploy.DefaultOptions()
	r, err := deploy.Deploy(e.ctx(), e.c, res, opts)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if len(r.NewObjects) != 2 || len(r.ChangedObjects) != 0 {
		t.Fatalf("first deploy: want 2 new, 0 changed, got %+v", r)
	}
	r, err = deploy.Deploy(e.ctx(), e.c, res, opts)
	if err != nil {
		t.Fatalf("second deploy: %v", err)
	}
	if len(r.NewObjects) != 0 || len(r.ChangedObjects) != 0 {
		t.Fatalf("second deploy: want no changes, got %+v", r)
	}
}
