package cli

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"sync"

	"k8s.io/klog/v2"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
)

// quietKlog keeps client-go's logging (klog) off the terminal: its lines
// become debug lines (masked, shown with --debug) instead of noise on
// stderr. klog is process-wide, so the previous setup is restored when the
// invocation ends.
func quietKlog(f *factory.Factory) func() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	_ = fs.Set("skip_headers", "true")
	klog.SetOutput(&debugWriter{f: f})
	return func() {
		klog.Flush()
		klog.SetOutput(io.Discard)
	}
}

// debugWriter turns written lines into debug lines.
type debugWriter struct {
	f   *factory.Factory
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *debugWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			break
		}
		w.f.Debugf("client-go: %s", strings.TrimRight(line, "\n"))
	}
	return len(p), nil
}
