package readiness

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func parse(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	o := &unstructured.Unstructured{}
	if err := o.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		obj       string
		wantReady bool
		wantErr   bool
	}{
		{name: "configmap has no status", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}", wantReady: true},
		{name: "is-ready false", obj: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: {kluctl.io/is-ready: 'false'}}"},
		{name: "is-ready true overrides", obj: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a, annotations: {kluctl.io/is-ready: 'true'}}\nstatus: {}", wantReady: true},
		{name: "fresh deployment without status", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, creationTimestamp: '2025-12-31T23:59:59Z'}"},
		{name: "old deployment without status", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, creationTimestamp: '2025-12-31T23:00:00Z'}", wantReady: true},
		{name: "deployment generation not observed", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, generation: 2}\nspec: {replicas: 1}\nstatus: {observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1}"},
		{name: "deployment rolled out", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, generation: 2}\nspec: {replicas: 2}\nstatus: {observedGeneration: 2, replicas: 2, readyReplicas: 2, updatedReplicas: 2, conditions: [{type: Available, status: 'True'}]}", wantReady: true},
		{name: "deployment rolling", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 2}\nstatus: {replicas: 3, readyReplicas: 2, updatedReplicas: 2}"},
		{name: "deployment unavailable", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\nstatus: {replicas: 1, readyReplicas: 1, updatedReplicas: 1, conditions: [{type: Available, status: 'False'}]}"},
		{name: "deployment deadline exceeded", obj: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\nstatus: {conditions: [{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded}]}", wantErr: true},
		{name: "job complete", obj: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nstatus: {conditions: [{type: Complete, status: 'True'}]}", wantReady: true},
		{name: "job running", obj: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nstatus: {active: 1}"},
		{name: "job failed", obj: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nstatus: {conditions: [{type: Failed, status: 'True', message: BackoffLimitExceeded}]}", wantErr: true},
		{name: "statefulset ready", obj: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: a}\nspec: {replicas: 2}\nstatus: {updatedReplicas: 2, readyReplicas: 2}", wantReady: true},
		{name: "statefulset updating", obj: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: a}\nspec: {replicas: 2}\nstatus: {updatedReplicas: 1, readyReplicas: 2}"},
		{name: "daemonset ready", obj: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nstatus: {updatedNumberScheduled: 3, desiredNumberScheduled: 3, numberReady: 3}", wantReady: true},
		{name: "daemonset not ready", obj: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nstatus: {updatedNumberScheduled: 3, desiredNumberScheduled: 3, numberReady: 1}"},
		{name: "pvc pending", obj: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: a}\nstatus: {phase: Pending}"},
		{name: "pvc bound", obj: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: a}\nstatus: {phase: Bound}", wantReady: true},
		{name: "crd established", obj: "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a}\nstatus: {conditions: [{type: Established, status: 'True'}]}", wantReady: true},
		{name: "crd pending", obj: "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a}\nstatus: {conditions: [{type: NamesAccepted, status: 'True'}]}"},
		{name: "custom resource Ready false", obj: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nstatus: {conditions: [{type: Ready, status: 'False', message: waiting}]}"},
		{name: "custom resource Ready true", obj: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nstatus: {conditions: [{type: Ready, status: 'True'}]}", wantReady: true},
		{name: "custom resource without status", obj: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}", wantReady: true},
		{name: "pod succeeded", obj: "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nstatus: {phase: Succeeded}", wantReady: true},
		{name: "service without cluster IP", obj: "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {type: ClusterIP}\nstatus: {}", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Check(parse(t, tt.obj), now)
			if st.Ready != tt.wantReady || (len(st.Errors) != 0) != tt.wantErr {
				t.Errorf("Check() = %+v, want ready=%v err=%v", st, tt.wantReady, tt.wantErr)
			}
			if !st.Ready && len(st.Errors)+len(st.Warnings) == 0 {
				t.Error("a not-ready status must say why")
			}
		})
	}
}
