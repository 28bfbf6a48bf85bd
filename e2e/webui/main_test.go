// Package webui tests the web UI end to end: `kluctl webui run` against
// the simulated cluster with the controller running in-process, driven
// through a real browser (Debian's Chromium with chromedriver).
package webui

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
	os.Exit(simcluster.RunMain(m, simcluster.Options{Nodes: 1, Progress: os.Stderr}))
}
