// Package gitops holds the end-to-end stories of the GitOps controller:
// KluctlDeployments reconciled from a real git server into the simulated
// cluster, by the controller running in-process.
package gitops

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(kluctltest.RunMain(m, simcluster.Options{Nodes: 2, Progress: os.Stderr}))
}
