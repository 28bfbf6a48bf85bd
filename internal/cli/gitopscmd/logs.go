package gitopscmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
)

// controllerPodSelector selects the pods of the kluctl-controller in its
// namespace.
const controllerPodSelector = "control-plane=kluctl-controller"

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
	filter := logFilter{reconcileID: o.reconcileID}
	if o.sel.name != "" || o.sel.labelSelector != "" || o.sel.all {
		kds, err := o.sel.selected(setupCtx, c, ns)
		if err != nil {
			return err
		}
		for _, kd := range kds {
			filter.objects = append(filter.objects, types.NamespacedName{Namespace: kd.Namespace, Name: kd.Name})
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
	streams, err := o.openStreams(setupCtx, ctx, cs)
	if err != nil {
		return err
	}
	lines := make(chan logLine)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	for _, s := range streams {
		wg.Go(func() {
			defer s.rc.Close()
			err := scanLogs(s.rc, filter, func(l logLine) {
				select {
				case lines <- l:
				case <-ctx.Done():
				}
			})
			if err != nil && ctx.Err() == nil {
				errMu.Lock()
				errs = append(errs, fmt.Errorf("read logs of pod %s: %w", s.pod, err))
				errMu.Unlock()
			}
		})
	}
	go func() {
		wg.Wait()
		close(lines)
	}()
	p := &logPrinter{out: f.IO.Out, info: f.IO.ErrOut, withTime: o.withTime}
	printLogs(ctx, lines, p, o.groupingTime)
	if ctx.Err() != nil {
		// Closing the streams ends the readers.
		for _, s := range streams {
			_ = s.rc.Close()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if o.follow && ctx.Err() != nil {
		return nil // following ends when it is interrupted
	}
	return ctx.Err()
}

// podStream is the log stream of one controller pod.
type podStream struct {
	pod string
	rc  io.ReadCloser
}

// openStreams opens the log streams of the controller pods. Listing runs
// within listCtx, the streams live as long as streamCtx.
func (o *logsOptions) openStreams(listCtx, streamCtx context.Context, cs kubernetes.Interface) ([]podStream, error) {
	ns := o.sel.controllerNamespace
	pods, err := cs.CoreV1().Pods(ns).List(listCtx, metav1.ListOptions{LabelSelector: controllerPodSelector})
	if err != nil {
		return nil, fmt.Errorf("list controller pods in %s: %w", ns, err)
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("no kluctl-controller pods (%s) in namespace %s; see --controller-namespace", controllerPodSelector, ns)
	}
	since := int64(o.since.Seconds())
	var streams []podStream
	for _, pod := range pods.Items {
		opts := &corev1.PodLogOptions{Container: logContainer(&pod), Follow: o.follow}
		if since > 0 {
			opts.SinceSeconds = &since
		}
		rc, err := cs.CoreV1().Pods(ns).GetLogs(pod.Name, opts).Stream(streamCtx)
		if apierrors.IsNotFound(err) {
			continue // the pod is gone
		}
		if err != nil {
			for _, s := range streams {
				_ = s.rc.Close()
			}
			return nil, fmt.Errorf("logs of pod %s/%s: %w", ns, pod.Name, err)
		}
		streams = append(streams, podStream{pod: ns + "/" + pod.Name, rc: rc})
	}
	return streams, nil
}

// logContainer picks the container whose logs to read: the only one, the
// one named by kubectl's default-container annotation or the first.
func logContainer(pod *corev1.Pod) string {
	if len(pod.Spec.Containers) <= 1 {
		return ""
	}
	if c := pod.Annotations["kubectl.kubernetes.io/default-container"]; c != "" {
		return c
	}
	return pod.Spec.Containers[0].Name
}

// logLine is one line of the controller's JSON log.
type logLine struct {
	Time        time.Time
	Msg         string
	Error       string
	Name        string
	Namespace   string
	ReconcileID string
}

// parseLogLine decodes one JSON log line. It reads the keys that
// controller-runtime puts on the logs of a reconcile (name, namespace,
// reconcileID) and the message, error and timestamp (ts) keys of zap and
// funcr. ok is false for lines that are no JSON objects.
func parseLogLine(b []byte) (l logLine, ok bool) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return logLine{}, false
	}
	str := func(k string) string {
		s, _ := m[k].(string)
		return s
	}
	l = logLine{Msg: str("msg"), Name: str("name"), Namespace: str("namespace"), ReconcileID: str("reconcileID")}
	if e, found := m["error"]; found && e != nil {
		l.Error = fmt.Sprint(e)
	}
	switch ts := m["ts"].(type) {
	case string:
		// funcr's default layout has no zone: it is the writer's local time.
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999"} {
			if t, err := time.ParseInLocation(layout, ts, time.Local); err == nil {
				l.Time = t
				break
			}
		}
	case float64: // zap's epoch seconds
		sec := int64(ts)
		l.Time = time.Unix(sec, int64((ts-float64(sec))*1e9))
	}
	return l, true
}

// logFilter selects the lines of some KluctlDeployments and of one
// reconciliation.
type logFilter struct {
	// objects are the KluctlDeployments whose lines pass; empty passes
	// every line, also those that belong to no KluctlDeployment.
	objects []types.NamespacedName
	// reconcileID, when set, passes only the lines of that reconciliation.
	reconcileID string
}

func (f logFilter) match(l logLine) bool {
	if f.reconcileID != "" && l.ReconcileID != f.reconcileID {
		return false
	}
	if len(f.objects) == 0 {
		return true
	}
	for _, o := range f.objects {
		if o.Name == l.Name && o.Namespace == l.Namespace {
			return true
		}
	}
	return false
}

// maxLogLine is the longest log line scanLogs reads.
const maxLogLine = 4 << 20

// scanLogs reads JSON log lines from r and calls emit with every line f
// matches. Lines that are no JSON objects are skipped.
func scanLogs(r io.Reader, f logFilter, emit func(logLine)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLogLine)
	for sc.Scan() {
		l, ok := parseLogLine(sc.Bytes())
		if ok && f.match(l) {
			emit(l)
		}
	}
	return sc.Err()
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
	lines []logLine
}

// add buffers l and prints it at once when no other group waits and l
// continues the group printed last (or is the first line).
func (p *logPrinter) add(l logLine) {
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

func (p *logPrinter) format(l logLine) string {
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
func printLogs(ctx context.Context, lines <-chan logLine, p *logPrinter, grouping time.Duration) {
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
