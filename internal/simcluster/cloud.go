package simcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// cloudInterval is how often the cloud simulation looks for work.
const cloudInterval = time.Second

// simulateCloud does what a cloud provider and a storage provisioner do
// for workloads to become ready: LoadBalancer Services get an ingress
// address, pending PersistentVolumeClaims get a volume; pods kwok has lost
// track of are nudged (see podNudger). It runs until ctx ends.
func simulateCloud(ctx context.Context, cs kubernetes.Interface) {
	t := time.NewTicker(cloudInterval)
	defer t.Stop()
	next := 1
	nudger := &podNudger{since: map[types.UID]time.Time{}}
	for {
		next = assignLoadBalancers(ctx, cs, next)
		provisionVolumes(ctx, cs)
		nudger.run(ctx, cs, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func assignLoadBalancers(ctx context.Context, cs kubernetes.Interface, next int) int {
	l, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return next
	}
	for i := range l.Items {
		svc := &l.Items[i]
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) != 0 {
			continue
		}
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: fmt.Sprintf("172.31.%d.%d", next/250, next%250+1)}}
		if _, err := cs.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{FieldManager: "simcluster-cloud"}); err == nil {
			next++
		}
	}
	return next
}

func provisionVolumes(ctx context.Context, cs kubernetes.Interface) {
	l, err := cs.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, pvc := range l.Items {
		if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" {
			continue
		}
		size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
		if size.IsZero() {
			size = resource.MustParse("1Gi")
		}
		class := ""
		if pvc.Spec.StorageClassName != nil {
			class = *pvc.Spec.StorageClassName
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: "sim-" + string(pvc.UID)},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
				AccessModes:                   pvc.Spec.AccessModes,
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
				StorageClassName:              class,
				VolumeMode:                    pvc.Spec.VolumeMode,
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/simcluster-volumes/" + string(pvc.UID)}},
			},
		}
		_, _ = cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{FieldManager: "simcluster-cloud"})
	}
}
