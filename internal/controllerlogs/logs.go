package controllerlogs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// PodSelector selects the pods of the kluctl-controller in its namespace.
const PodSelector = "control-plane=kluctl-controller"

// Stream is the log stream of one controller pod.
type Stream struct {
	Pod string
	RC  io.ReadCloser
}

// OpenStreams opens the log streams of the controller pods in ns, from
// since ago (0: all) and following them with follow. Listing runs within
// listCtx, the streams live as long as streamCtx.
func OpenStreams(listCtx, streamCtx context.Context, cs kubernetes.Interface, ns string, follow bool, since time.Duration) ([]Stream, error) {
	pods, err := cs.CoreV1().Pods(ns).List(listCtx, metav1.ListOptions{LabelSelector: PodSelector})
	if err != nil {
		return nil, fmt.Errorf("list controller pods in %s: %w", ns, err)
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("no kluctl-controller pods (%s) in namespace %s; see --controller-namespace", PodSelector, ns)
	}
	sinceSeconds := int64(since.Seconds())
	var streams []Stream
	for _, pod := range pods.Items {
		opts := &corev1.PodLogOptions{Container: logContainer(&pod), Follow: follow}
		if sinceSeconds > 0 {
			opts.SinceSeconds = &sinceSeconds
		}
		rc, err := cs.CoreV1().Pods(ns).GetLogs(pod.Name, opts).Stream(streamCtx)
		if apierrors.IsNotFound(err) {
			continue // the pod is gone
		}
		if err != nil {
			for _, s := range streams {
				_ = s.RC.Close()
			}
			return nil, fmt.Errorf("logs of pod %s/%s: %w", ns, pod.Name, err)
		}
		streams = append(streams, Stream{Pod: ns + "/" + pod.Name, RC: rc})
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

// Line is one line of the controller's JSON log.
type Line struct {
	Time        time.Time
	Msg         string
	Error       string
	Name        string
	Namespace   string
	ReconcileID string
	// Raw is the line as logged.
	Raw json.RawMessage
}

// ParseLine decodes one JSON log line. It reads the keys that
// controller-runtime puts on the logs of a reconcile (name, namespace,
// reconcileID) and the message, error and timestamp (ts) keys of zap and
// funcr. ok is false for lines that are no JSON objects.
func ParseLine(b []byte) (l Line, ok bool) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return Line{}, false
	}
	str := func(k string) string {
		s, _ := m[k].(string)
		return s
	}
	l = Line{Msg: str("msg"), Name: str("name"), Namespace: str("namespace"), ReconcileID: str("reconcileID"), Raw: append(json.RawMessage(nil), b...)}
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

// Filter selects the lines of some KluctlDeployments and of one
// reconciliation.
type Filter struct {
	// Objects are the KluctlDeployments whose lines pass; empty passes
	// every line, also those that belong to no KluctlDeployment.
	Objects []types.NamespacedName
	// ReconcileID, when set, passes only the lines of that reconciliation.
	ReconcileID string
}

// Match tells whether l passes f.
func (f Filter) Match(l Line) bool {
	if f.ReconcileID != "" && l.ReconcileID != f.ReconcileID {
		return false
	}
	if len(f.Objects) == 0 {
		return true
	}
	for _, o := range f.Objects {
		if o.Name == l.Name && o.Namespace == l.Namespace {
			return true
		}
	}
	return false
}

// maxLogLine is the longest log line scanLogs reads.
const maxLogLine = 4 << 20

// Scan reads JSON log lines from r and calls emit with every line f
// matches. Lines that are no JSON objects are skipped.
func Scan(r io.Reader, f Filter, emit func(Line)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLogLine)
	for sc.Scan() {
		l, ok := ParseLine(sc.Bytes())
		if ok && f.Match(l) {
			emit(l)
		}
	}
	return sc.Err()
}

// Follow scans every stream (see Scan) and calls emit, from one goroutine
// at a time, with the lines f matches, until the streams end or ctx ends
// (the streams are then closed). It returns the read errors.
func Follow(ctx context.Context, streams []Stream, f Filter, emit func(Line)) error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Go(func() {
			err := Scan(s.RC, f, func(l Line) {
				mu.Lock()
				defer mu.Unlock()
				if ctx.Err() == nil {
					emit(l)
				}
			})
			if err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("read logs of pod %s: %w", s.Pod, err))
				mu.Unlock()
			}
		})
	}
	stop := context.AfterFunc(ctx, func() {
		for _, s := range streams {
			_ = s.RC.Close()
		}
	})
	wg.Wait()
	stop()
	for _, s := range streams {
		_ = s.RC.Close()
	}
	return errors.Join(errs...)
}
