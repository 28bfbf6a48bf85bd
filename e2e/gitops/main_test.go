// Package gitops holds the end-to-end stories of the GitOps controller:
// KluctlDeployments reconciled from a real git server into the simulated
// cluster, by the controller running in-process.
package gitops

import (
	"os"
	"testing"

	"github.com/go-logr/logr"

	"github.com/kluctl-go/kluctl/internal/runtimelog"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	// The in-process controllers log through their tests; controller-runtime's
	// process-wide lines (informer caches) have no test to go to.
	runtimelog.Route(logr.Discard())
	os.Exit(simcluster.RunMain(m, simcluster.Options{Nodes: 2, Progress: os.Stderr}))
}
