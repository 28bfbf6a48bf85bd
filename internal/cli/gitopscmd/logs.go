package gitopscmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/controllerlogs"
)

// logsOptions are the flags of `gitops logs`.
type logsOptions struct {
	sel          selection
	reconcileID  string
	follow       bool
	since        time.Duration
	groupingTime time.Duration
	withTime     bool
}

func newLogsCmd(f *factory.Factory) *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show logs from controller",
		Long: "Print and watch logs of specified KluctlDeployments from the kluctl-controller.\n\n" +
			"Without --name, --label-selector or --all, all logs of the controller are shown.",
		Args: cobra.NoArgs,
	}
	o.sel.add(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&o.reconcileID, "reconcile-id", "", "If specified, logs are filtered for the given reconcile ID.")
	fl.BoolVarP(&o.follow, "follow", "f", false, "Follow logs after printing old logs.")
	fl.DurationVar(&o.since, "log-since", 60*time.Second, "Show logs since this time.")
	fl.DurationVar(&o.groupingTime, "log-grouping-time", time.Second, "Logs are by default grouped by time passed, meaning that they are printed in batches to make reading them easier. This argument allows to modify the grouping time.")
	fl.BoolVar(&o.withTime, "log-time", false, "If enabled, adds timestamps to log lines")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return o.run(cmd.Context(), f)
	}
	return cmd
}

func (o *logsOptions) run(ctx context.Context, f *factory.Factory) error {
	if o.groupingTime <= 0 {
		return fmt.Errorf("--log-grouping-time must be positive")
	}
	// --timeout bounds finding the deployments and the pods; following
	// runs until it is interrupted.
	setupCtx, cancel := context.WithTimeout(ctx, o.sel.timeout)
	defer cancel()
	if !o.follow {
		ctx = setupCtx
	}
	c, ns, err := o.sel.connect(f)
	if err != nil {
		return err
	}
	filter := controllerlogs.Filter{ReconcileID: o.reconcileID}
	if o.sel.name != "" || o.sel.labelSelector != "" || o.sel.all {
		kds, err := o.sel.selected(setupCtx, c, ns)
		if err != nil {
			return err
		}
		for _, kd := range kds {
			filter.Objects = append(filter.Objects, types.NamespacedName{Namespace: kd.Namespace, Name: kd.Name})
			f.Progress("Watching logs for %s/%s...", kd.Namespace, kd.Name)
		}
	} else {
		f.Progress("Watching logs...")
	}
	// A request timeout of the client would cut the streams.
	cfg := rest.CopyConfig(c.cfg)
	cfg.Timeout = 0
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	streams, err := controllerlogs.OpenStreams(setupCtx, ctx, cs, o.sel.controllerNamespace, o.follow, o.since)
	if err != nil {
		return err
	}
	lines := make(chan controllerlogs.Line)
	var followErr error
	go func() {
		defer close(lines)
		followErr = controllerlogs.Follow(ctx, streams, filter, func(l controllerlogs.Line) {
			select {
			case lines <- l:
			case <-ctx.Done():
			}
		})
	}()
	p := &logPrinter{out: f.IO.Out, info: f.IO.ErrOut, withTime: o.withTime}
	printLogs(ctx, lines, p, o.groupingTime)
	for range lines {
		// printLogs stops at the end of ctx; wait for Follow to finish.
	}
	if followErr != nil {
		return followErr
	}
	if o.follow && ctx.Err() != nil {
		return nil // following ends when it is interrupted
	}
	return ctx.Err()
}

// logKey groups the lines of one reconciliation.
type logKey struct {
	object      types.NamespacedName
	reconcileID string
}

// logPrinter writes log lines grouped by reconciliation: a header on info
// whenever the group changes, the messages on out. Lines of other groups
// wait in a buffer while one group is being printed.
type logPrinter struct {
	out, info io.Writer
	withTime  bool

	pending []*logGroup // in the order they began
	last    *logKey     // the group printed last
}

type logGroup struct {
	key   logKey
	lines []controllerlogs.Line
}

// add buffers l and prints it at once when no other group waits and l
// continues the group printed last (or is the first line).
func (p *logPrinter) add(l controllerlogs.Line) {
	key := logKey{object: types.NamespacedName{Namespace: l.Namespace, Name: l.Name}, reconcileID: l.ReconcileID}
	var g *logGroup
	others := false
	for _, x := range p.pending {
		if x.key == key {
			g = x
		} else if len(x.lines) != 0 {
			others = true
		}
	}
	if g == nil {
		g = &logGroup{key: key}
		p.pending = append(p.pending, g)
	}
	g.lines = append(g.lines, l)
	if !others && (p.last == nil || *p.last == key) {
		p.flush()
	}
}

// flush prints every buffered line, group by group. Groups keep their
// place until a flush finds them idle.
func (p *logPrinter) flush() {
	kept := p.pending[:0]
	for _, g := range p.pending {
		if len(g.lines) == 0 {
			continue
		}
		kept = append(kept, g)
		if p.last == nil || *p.last != g.key {
			key := g.key
			p.last = &key
			if key.reconcileID == "" {
				fmt.Fprintln(p.info, "Showing general controller logs")
			} else {
				fmt.Fprintf(p.info, "Showing logs for %s/%s and reconciliation ID %s\n", key.object.Namespace, key.object.Name, key.reconcileID)
			}
		}
		for _, l := range g.lines {
			fmt.Fprintln(p.out, p.format(l))
		}
		g.lines = g.lines[:0]
	}
	clear(p.pending[len(kept):])
	p.pending = kept
}

func (p *logPrinter) format(l controllerlogs.Line) string {
	s := l.Msg
	if l.Error != "" {
		s += ": " + l.Error
	}
	if p.withTime && !l.Time.IsZero() {
		s = l.Time.Format(time.RFC3339) + ": " + s
	}
	return s
}

// printLogs prints the lines from lines, flushing the groups every
// grouping, until lines is closed or ctx ends.
func printLogs(ctx context.Context, lines <-chan controllerlogs.Line, p *logPrinter, grouping time.Duration) {
	tick := time.NewTicker(grouping)
	defer tick.Stop()
	defer p.flush()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p.flush()
		case l, ok := <-lines:
			if !ok {
				return
			}
			p.add(l)
		}
	}
}
