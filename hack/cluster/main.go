// Command cluster builds, starts and stops a simulated Kubernetes control
// plane for local development (see internal/simcluster):
//
//	go run ./hack/cluster build   # compile the binaries (and Flux source-controller) into the cache
//	go run ./hack/cluster up      # start (or find) the cluster, print KUBECONFIG
//	go run ./hack/cluster status  # show processes and readiness
//	go run ./hack/cluster down    # stop it and remove its state
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kluctl-go/kluctl/internal/fluxsim"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts simcluster.Options
	fs.StringVar(&opts.Version, "version", simcluster.DefaultVersion, "Kubernetes version")
	fs.IntVar(&opts.Nodes, "nodes", 1, "number of kwok nodes")
	fs.StringVar(&opts.CacheDir, "cache-dir", "", "binary cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/kluctl-go)")
	fs.StringVar(&opts.WorkDir, "state-dir", "", "state dir of the cluster (default <cache-dir>/cluster)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: cluster [flags] build|up|down|status\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	opts.Progress = stderr

	var err error
	switch fs.Arg(0) {
	case "build":
		opts.Stderr = stderr
		var binDir, sourceController string
		if binDir, err = simcluster.Build(ctx, opts); err == nil {
			fmt.Fprintln(stdout, binDir)
			// Tests that need Flux sources run source-controller beside
			// the cluster (internal/fluxsim).
			if sourceController, err = fluxsim.BuildInCache(ctx, opts.CacheDir, stderr); err == nil {
				fmt.Fprintln(stdout, sourceController)
			}
		}
	case "up":
		fmt.Fprintln(stderr, "starting cluster (the first run builds Kubernetes, which takes minutes)")
		var c *simcluster.Cluster
		if c, err = simcluster.Up(ctx, opts); err == nil {
			fmt.Fprintf(stderr, "cluster ready at %s, logs in %s\n", c.Server(), c.WorkDir())
			fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", c.KubeconfigPath())
		}
	case "down":
		err = simcluster.Down(ctx, opts)
	case "status":
		err = printStatus(ctx, opts, stdout)
	default:
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "cluster %s: %v\n", fs.Arg(0), err)
		return 1
	}
	return 0
}

func printStatus(ctx context.Context, opts simcluster.Options, stdout io.Writer) error {
	st, err := simcluster.ReadStatus(ctx, opts)
	if err != nil {
		return err
	}
	if !st.Recorded {
		fmt.Fprintln(stdout, "no cluster")
		return nil
	}
	state := "not ready"
	if st.Ready {
		state = "ready"
	}
	fmt.Fprintf(stdout, "cluster %s at %s\nexport KUBECONFIG=%s\n", state, st.Server, st.Kubeconfig)
	for _, p := range st.Processes {
		alive := "dead"
		if p.Alive {
			alive = "running"
		}
		fmt.Fprintf(stdout, "  %-24s pid %-8d %-8s %s\n", p.Name, p.PID, alive, p.Log)
	}
	return nil
}
