package simcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// stuckAfter is how long a pod may wait for kwok before it is nudged.
const stuckAfter = 15 * time.Second

// nudgeAnnotation is the annotation a nudge writes.
const nudgeAnnotation = "simcluster.kluctl.io/nudged-at"

// podNudger looks for pods that kwok has lost track of: scheduled pods
// still Pending, or pods marked for deletion that are still there, well
// after kwok should have played their stage. kwok plays stages only on
// watch events and keys its queued work by namespace/name, which a
// StatefulSet reuses when it recreates a pod; should that work be lost,
// the pod waits forever (a rollout of the demo's redis StatefulSet once
// stayed at 2 of 3 pods for minutes, cause unconfirmed). A changed
// annotation is an update event, on which kwok queues the stage again.
type podNudger struct {
	// since is when each pod (by UID) was first seen waiting.
	since map[types.UID]time.Time
}

func (n *podNudger) run(ctx context.Context, cs kubernetes.Interface, now time.Time) {
	l, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	waiting := map[types.UID]bool{}
	for i := range l.Items {
		p := &l.Items[i]
		if !kwokShouldAct(p) {
			continue
		}
		waiting[p.UID] = true
		first, ok := n.since[p.UID]
		if !ok {
			n.since[p.UID] = now
			continue
		}
		if now.Sub(first) < stuckAfter {
			continue
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, nudgeAnnotation, now.UTC().Format(time.RFC3339Nano))
		if _, err := cs.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "simcluster-nudge"}); err == nil {
			n.since[p.UID] = now
		}
	}
	for uid := range n.since {
		if !waiting[uid] {
			delete(n.since, uid)
		}
	}
}

// kwokShouldAct reports whether a kwok stage should change p: a scheduled
// pod that has not started, or one marked for deletion.
func kwokShouldAct(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return true
	}
	return p.Spec.NodeName != "" && p.Status.Phase == corev1.PodPending
}
