// Package deploy holds the end-to-end stories of the cluster commands
// (deploy, diff, prune, delete, validate) run through the CLI against the
// simulated cluster.
package deploy

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Nodes: 2, Progress: os.Stderr}))
}
