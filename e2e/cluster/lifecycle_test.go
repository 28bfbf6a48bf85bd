package cluster_test

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestDeletedNamespaceDisappears(t *testing.T) {
	t.Parallel()
	cs := clientFor(t)
	ns, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "doomed-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "content"}, Data: map[string]string{"k": "v"}}
	if _, err := cs.CoreV1().ConfigMaps(ns.Name).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Namespaces().Delete(t.Context(), ns.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	eventually(t, "namespace gone", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

func TestOwnedObjectIsGarbageCollected(t *testing.T) {
	t.Parallel()
	ns := simcluster.Current(t).NewNamespace(t)
	cs := clientFor(t)
	cms := cs.CoreV1().ConfigMaps(ns)
	owner, err := cms.Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: "owned",
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID,
		}},
	}}
	if _, err := cms.Create(t.Context(), owned, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(t.Context(), owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	eventually(t, "owned config map collected", func(ctx context.Context) (bool, error) {
		_, err := cms.Get(ctx, "owned", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

func TestServerReportsStampedVersion(t *testing.T) {
	t.Parallel()
	v, err := clientFor(t).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v"+simcluster.DefaultVersion || v.Major != "1" {
		t.Errorf("server version %q major %q, want v%s", v.GitVersion, v.Major, simcluster.DefaultVersion)
	}
}

func TestStopLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	c, err := simcluster.Start(t.Context(), simcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pids := c.PIDs()
	if len(pids) != 5 {
		t.Errorf("started %d processes, want 5", len(pids))
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if alive := c.AlivePIDs(); len(alive) > 0 {
		t.Errorf("processes alive after Stop: %v", alive)
	}
	if _, err := os.Stat(c.WorkDir()); !os.IsNotExist(err) {
		t.Errorf("work dir %s still there after Stop: %v", c.WorkDir(), err)
	}
}
