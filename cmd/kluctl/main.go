// Command kluctl deploys Kluctl projects to Kubernetes clusters.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kluctl-go/kluctl/internal/cli"
	"github.com/kluctl-go/kluctl/internal/iostreams"
)

func main() {
	stopGC := tuneGC(os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	stopGC()
	os.Exit(code)
}
