package cluster_test

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Nodes: 2, Progress: os.Stderr}))
}
