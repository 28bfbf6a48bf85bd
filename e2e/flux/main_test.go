// Package flux tests the Flux-era API (flux.kluctl.io/v1alpha1) end to
// end: a real Flux source-controller beside the simulated cluster pulls
// the project from the test git server, and the controller deploys its
// artifacts.
package flux

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(kluctltest.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}
