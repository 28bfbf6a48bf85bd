// Package rendercluster tests the parts of rendering that read from a real
// cluster: clusterConfigMap and clusterSecret vars, and Helm capabilities.
package rendercluster

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Nodes: 1, Progress: os.Stderr}))
}
