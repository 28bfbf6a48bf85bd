// Package webui tests the web UI end to end: `kluctl webui run` against
// the simulated cluster with the controller running in-process, driven
// through a real browser (Debian's Chromium with chromedriver).
package webui

import (
	"os"
	"testing"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func TestMain(m *testing.M) {
	os.Exit(kluctltest.RunMain(m, simcluster.Options{Nodes: 1, Progress: os.Stderr}))
}
