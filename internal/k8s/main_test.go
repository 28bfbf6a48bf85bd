package k8s_test

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}
