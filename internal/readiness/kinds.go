package readiness

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type kindCheck func(obj *unstructured.Unstructured, status map[string]any, st *Status)

// kindChecks holds the per-kind rules, keyed by "Kind.group" (GroupKind
// string form). The map is read-only.
var kindChecks = map[string]kindCheck{
	"Pod":                   checkPod,
	"Job.batch":             checkJob,
	"Deployment.apps":       checkDeployment,
	"StatefulSet.apps":      checkStatefulSet,
	"DaemonSet.apps":        checkDaemonSet,
	"PersistentVolumeClaim": checkPVC,
	"Service":               checkService,
	"CustomResourceDefinition.apiextensions.k8s.io": checkCRD,
}

func checkPod(_ *unstructured.Unstructured, status map[string]any, st *Status) {
	css, _ := status["containerStatuses"].([]any)
	for _, e := range css {
		cs, _ := e.(map[string]any)
		reason, _, _ := unstructured.NestedString(cs, "state", "terminated", "reason")
		if reason == "Error" {
			name, _ := cs["name"].(string)
			st.fail(fmt.Sprintf("container %s exited with error", name))
		}
	}
	if phase, _ := status["phase"].(string); phase == "Succeeded" {
		return
	} else if phase == "Failed" {
		st.fail("pod failed")
		return
	}
	c, ok := condition(status, "Ready")
	if ok && c.status == "False" && c.reason == "PodCompleted" {
		return
	}
	if !ok || c.status != "True" {
		st.notReady("pod is not ready")
	}
}

func checkJob(_ *unstructured.Unstructured, status map[string]any, st *Status) {
	if c, ok := condition(status, "Failed"); ok && c.status == "True" {
		st.fail(c.msg("job failed"))
		return
	}
	if c, ok := condition(status, "Complete"); !ok || c.status != "True" {
		st.notReady(c.msg("job not completed"))
	}
}

func checkDeployment(obj *unstructured.Unstructured, status map[string]any, st *Status) {
	want, ok, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	if !ok {
		want = 1
	}
	if c, ok := condition(status, "Progressing"); ok && c.reason == "ProgressDeadlineExceeded" {
		st.fail(c.msg("deployment exceeded its progress deadline"))
		return
	}
	if want == 0 {
		return
	}
	updated, _ := intField(status, "updatedReplicas")
	ready, _ := intField(status, "readyReplicas")
	replicas, _ := intField(status, "replicas")
	switch {
	case updated < want:
		st.notReady(fmt.Sprintf("rollout in progress: %d of %d replicas updated", updated, want))
	case replicas > updated:
		st.notReady(fmt.Sprintf("rollout in progress: %d old replicas pending termination", replicas-updated))
	case ready < replicas:
		st.notReady(fmt.Sprintf("readyReplicas (%d) is less than replicas (%d)", ready, replicas))
	}
	if c, ok := condition(status, "Available"); ok && c.status != "True" {
		st.notReady(c.msg("deployment is not available"))
	}
}

func checkStatefulSet(obj *unstructured.Unstructured, status map[string]any, st *Status) {
	typ, _, _ := unstructured.NestedString(obj.Object, "spec", "updateStrategy", "type")
	if typ != "" && typ != "RollingUpdate" {
		return
	}
	replicas, ok, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	if !ok {
		replicas = 1
	}
	if replicas == 0 {
		return
	}
	partition, _, _ := unstructured.NestedInt64(obj.Object, "spec", "updateStrategy", "rollingUpdate", "partition")
	updated, ok := requireInt(status, "updatedReplicas", st)
	if !ok {
		return
	}
	if expected := replicas - partition; updated != expected {
		st.notReady(fmt.Sprintf("StatefulSet is not ready. %d out of %d expected pods have been updated", updated, expected))
		return
	}
	if ready, _ := intField(status, "readyReplicas"); ready != replicas {
		st.notReady(fmt.Sprintf("StatefulSet is not ready. %d out of %d expected pods are ready", ready, replicas))
	}
}

func checkDaemonSet(obj *unstructured.Unstructured, status map[string]any, st *Status) {
	typ, _, _ := unstructured.NestedString(obj.Object, "spec", "updateStrategy", "type")
	if typ != "" && typ != "RollingUpdate" {
		return
	}
	updated, ok1 := requireInt(status, "updatedNumberScheduled", st)
	desired, ok2 := requireInt(status, "desiredNumberScheduled", st)
	if !ok1 || !ok2 {
		if desired == 0 && ok2 {
			st.Ready, st.Warnings = true, nil // nothing to schedule
		}
		return
	}
	if updated != desired {
		st.notReady(fmt.Sprintf("DaemonSet is not ready. %d out of %d expected pods have been scheduled", updated, desired))
		return
	}
	mu, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "updateStrategy", "rollingUpdate", "maxUnavailable")
	expected := desired - intOrPercent(mu, desired, 1)
	if ready, _ := intField(status, "numberReady"); ready < expected {
		st.notReady(fmt.Sprintf("DaemonSet is not ready. %d out of %d expected pods are ready", ready, expected))
	}
}

func checkPVC(_ *unstructured.Unstructured, status map[string]any, st *Status) {
	if phase, _ := status["phase"].(string); phase != "Bound" {
		st.notReady("volume is not bound")
	}
}

func checkService(obj *unstructured.Unstructured, status map[string]any, st *Status) {
	typ, _, _ := unstructured.NestedString(obj.Object, "spec", "type")
	if typ == "ExternalName" {
		return
	}
	ip, _, _ := unstructured.NestedString(obj.Object, "spec", "clusterIP")
	if ip == "" {
		st.fail("service does not have a cluster IP")
		return
	}
	if typ == "LoadBalancer" {
		ext, _, _ := unstructured.NestedSlice(obj.Object, "spec", "externalIPs")
		ingress, _, _ := unstructured.NestedSlice(status, "loadBalancer", "ingress")
		if len(ext) == 0 && len(ingress) == 0 {
			st.notReady("load balancer has no ingress yet")
		}
	}
}

func checkCRD(_ *unstructured.Unstructured, status map[string]any, st *Status) {
	if c, ok := condition(status, "Established"); ok && c.status == "True" {
		return
	}
	if c, ok := condition(status, "NamesAccepted"); ok && c.status == "False" {
		st.fail(c.msg("CRD names not accepted"))
		return
	}
	st.notReady("CRD is not established")
}
