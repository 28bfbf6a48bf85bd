// Command bench measures kluctl against its floors on the simulated
// cluster, side by side in one run (make bench):
//
//   - render of the 200x10 benchmark project (2001 objects), offline;
//   - the floor: plain concurrent server-side apply of the same objects with
//     no client rate limit (8 workers for the first apply, 32 for the
//     unchanged apply, 32 for the dry-run that a diff needs);
//   - kluctl deploy (first), deploy again (nothing changed) and diff, run as
//     the built binary, with their peak memory.
//
// Floor and kluctl alternate over several rounds, each in fresh namespaces
// (the target renamed with -T), and the medians are reported.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/simcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

type row struct {
	name    string
	seconds float64
	maxRSS  int64 // KiB, 0 when not measured
	floor   float64
	note    string
}

func run(ctx context.Context, out, logs io.Writer) error {
	var items, objs int
	var kluctlBin, genproject string
	flag.IntVar(&items, "items", 200, "deployment items of the generated project")
	flag.IntVar(&objs, "objects", 10, "objects per item")
	flag.StringVar(&kluctlBin, "kluctl", "bin/kluctl", "the kluctl binary to measure")
	flag.StringVar(&genproject, "genproject", "../shared/bench/genproject.py", "the project generator")
	var rounds int
	flag.IntVar(&rounds, "rounds", 3, "rounds of floor/kluctl measurements")
	flag.Parse()

	work, err := os.MkdirTemp("", "kluctl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	project := filepath.Join(work, "project")
	if b, err := exec.CommandContext(ctx, "python3", genproject, project, fmt.Sprint(items), fmt.Sprint(objs)).CombinedOutput(); err != nil {
		return fmt.Errorf("generate project: %v: %s", err, b)
	}

	fmt.Fprintln(logs, "bench: starting the simulated cluster")
	c, err := simcluster.Start(ctx, simcluster.Options{Nodes: 2, Progress: logs})
	if err != nil {
		return err
	}
	defer c.Stop()
	env := append(os.Environ(), "KUBECONFIG="+c.KubeconfigPath())

	var rows []row
	// Render, offline.
	_, r, err := timed(ctx, env, kluctlBin, "render", "--project-dir", project, "-t", "dev", "--offline-kubernetes", "--print-all")
	if err != nil {
		return err
	}
	r.name, r.note = "render (offline, 2001 objects)", "reference implementation: 5.7 s"
	rows = append(rows, r)

	clients, err := k8s.NewClients(c.RESTConfig())
	if err != nil {
		return err
	}
	// The machine's speed drifts, so floor and kluctl alternate, round
	// after round, each round in fresh namespaces (-T renames the target,
	// and with it the namespace and discriminator); medians are reported.
	names := []string{"deploy, first", "deploy, nothing changed", "diff, nothing changed"}
	var ours, floors [3][]float64
	var rss [3]int64
	for round := 1; round <= rounds; round++ {
		floorTarget := fmt.Sprintf("floor%d", round)
		ourTarget := fmt.Sprintf("kluctl%d", round)
		floorOut, _, err := timed(ctx, env, kluctlBin, "render", "--project-dir", project, "-t", "prod", "-T", floorTarget, "--offline-kubernetes", "--print-all")
		if err != nil {
			return err
		}
		objects, err := parseObjects(floorOut)
		if err != nil {
			return err
		}
		args := []string{"--project-dir", project, "-t", "prod", "-T", ourTarget, "--context", c.Context()}
		steps := []struct {
			cmd     []string
			workers int
			dryRun  bool
		}{
			{append([]string{"deploy", "--yes", "-o", "yaml=" + filepath.Join(work, "first.yaml")}, args...), 8, false},
			{append([]string{"deploy", "--yes", "-o", "yaml=" + filepath.Join(work, "again.yaml")}, args...), 32, false},
			{append([]string{"diff", "-o", "yaml=" + filepath.Join(work, "diff.yaml")}, args...), 32, true},
		}
		for i, st := range steps {
			fmt.Fprintf(logs, "bench: round %d: floor and kluctl %s\n", round, names[i])
			f, err := floorApply(ctx, clients, objects, st.workers, st.dryRun)
			if err != nil {
				return fmt.Errorf("floor %s: %w", names[i], err)
			}
			_, r, err := timed(ctx, env, kluctlBin, st.cmd...)
			if err != nil {
				return err
			}
			floors[i] = append(floors[i], f)
			ours[i] = append(ours[i], r.seconds)
			rss[i] = max(rss[i], r.maxRSS)
		}
	}
	for i, n := range names {
		rows = append(rows, row{name: n, seconds: median(ours[i]), floor: median(floors[i]), maxRSS: rss[i],
			note: fmt.Sprintf("median of %d rounds; goal: at most 1.5x the floor", rounds)})
	}

	fmt.Fprintf(out, "\n%-32s %10s %10s %8s %12s  %s\n", "operation", "kluctl", "floor", "ratio", "max RSS", "")
	for _, r := range rows {
		floor, ratio := "-", "-"
		if r.floor > 0 {
			floor = fmt.Sprintf("%.2f s", r.floor)
			ratio = fmt.Sprintf("%.2fx", r.seconds/r.floor)
		}
		fmt.Fprintf(out, "%-32s %8.2f s %10s %8s %9d MB  %s\n", r.name, r.seconds, floor, ratio, r.maxRSS/1024, r.note)
	}
	return nil
}

// timed runs the binary and returns its stdout, wall time and peak RSS.
func timed(ctx context.Context, env []string, bin string, args ...string) ([]byte, row, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := row{seconds: time.Since(start).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		r.maxRSS = ru.Maxrss
	}
	if err != nil {
		return nil, r, fmt.Errorf("kluctl %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes(), r, nil
}

func parseObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := yamlutil.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, err
		}
		if m != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// floorApply server-side applies objs with n workers: Namespaces first,
// then everything else concurrently. It returns the wall time.
func floorApply(ctx context.Context, c *k8s.Clients, objs []*unstructured.Unstructured, n int, dryRun bool) (float64, error) {
	start := time.Now()
	var first, rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			first = append(first, o)
		} else {
			rest = append(rest, o)
		}
	}
	for _, batch := range [][]*unstructured.Unstructured{first, rest} {
		if err := applyAll(ctx, c, batch, n, dryRun); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

func applyAll(ctx context.Context, c *k8s.Clients, objs []*unstructured.Unstructured, n int, dryRun bool) error {
	work := make(chan *unstructured.Unstructured)
	errs := make(chan error, len(objs))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				ri, _, err := c.Resource(o.GroupVersionKind(), o.GetNamespace())
				if err == nil {
					var body []byte
					if body, err = o.MarshalJSON(); err == nil {
						opts := metav1.PatchOptions{FieldManager: "bench-floor", Force: ptr(true)}
						if dryRun {
							opts.DryRun = []string{metav1.DryRunAll}
						}
						_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, opts)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("%s/%s: %w", o.GetKind(), o.GetName(), err)
				}
			}
		}()
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

func ptr[T any](v T) *T { return &v }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
