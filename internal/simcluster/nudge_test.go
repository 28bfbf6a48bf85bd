package simcluster

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// Only pods that wait for kwok longer than stuckAfter get the annotation;
// the bookkeeping forgets pods that are gone or moved on.
func TestPodNudger(t *testing.T) {
	now := metav1.Now()
	pod := func(name, node string, phase corev1.PodPhase, deleting bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name)},
			Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{Phase: phase}}
		if deleting {
			p.DeletionTimestamp = &now
			p.Finalizers = []string{"test/keep"}
		}
		return p
	}
	cs := fake.NewClientset(
		pod("lost", "kwok-node-0", corev1.PodPending, false),
		pod("terminating", "kwok-node-0", corev1.PodRunning, true),
		pod("unscheduled", "", corev1.PodPending, false),
		pod("running", "kwok-node-0", corev1.PodRunning, false),
	)
	ctx := context.Background()
	nudged := func() map[string]bool {
		out := map[string]bool{}
		l, err := cs.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range l.Items {
			if _, ok := p.Annotations[nudgeAnnotation]; ok {
				out[p.Name] = true
			}
		}
		return out
	}
	n := &podNudger{since: map[types.UID]time.Time{}}
	t0 := time.Now()
	n.run(ctx, cs, t0)
	n.run(ctx, cs, t0.Add(stuckAfter-time.Second))
	if got := nudged(); len(got) != 0 {
		t.Fatalf("nudged before %s: %v", stuckAfter, got)
	}
	n.run(ctx, cs, t0.Add(stuckAfter))
	if got := nudged(); len(got) != 2 || !got["lost"] || !got["terminating"] {
		t.Fatalf("nudged %v, want lost and terminating", got)
	}
	if err := cs.CoreV1().Pods("ns").Delete(ctx, "lost", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	n.run(ctx, cs, t0.Add(stuckAfter+time.Second))
	if _, ok := n.since["lost"]; ok {
		t.Error("a pod that is gone is still tracked")
	}
	if first := n.since["terminating"]; !first.Equal(t0.Add(stuckAfter)) {
		t.Errorf("the next nudge of a pod counts from %v, want the last nudge", first)
	}
}
