// Package flux tests the Flux-era API (flux.kluctl.io/v1alpha1) end to
// end: a real Flux source-controller beside the simulated cluster pulls
// the project from the test git server, and the controller deploys its
// artifacts.
package flux

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
	os.Exit(simcluster.RunMain(m, simcluster.Options{Progress: os.Stderr}))
}
