package cluster_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

// clientFor returns a clientset for the package's cluster.
func clientFor(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(simcluster.Current(t).RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// eventually polls cond every 200ms until it holds, failing the test after a
// generous timeout: these tests check behaviour, not speed.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 2*time.Minute, true, cond)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
