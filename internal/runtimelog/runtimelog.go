// Package runtimelog routes controller-runtime's own log lines (informer
// caches, API warnings) to a logger of the caller's choice.
//
// controller-runtime logs them through one process-wide logger that can be
// set only once; left unset, it prints a stack trace to stderr 30 s after
// the first line. This package sets it once, to a sink that forwards to
// whatever logger was routed last, so each CLI invocation (and each test
// binary) decides where the lines go without touching the library's global.
package runtimelog

import (
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

var (
	once sync.Once
	dest atomic.Pointer[logr.Logger]
)

// Route sends controller-runtime's lines to l until the returned restore
// is called, which brings back the previous destination.
func Route(l logr.Logger) (restore func()) {
	once.Do(func() { ctrllog.SetLogger(logr.New(forward{})) })
	prev := dest.Swap(&l)
	return func() { dest.CompareAndSwap(&l, prev) }
}

func current() logr.Logger {
	if l := dest.Load(); l != nil {
		return *l
	}
	return logr.Discard()
}

// forward is the sink controller-runtime holds. Names and values are kept
// and applied to the destination at the time of each line.
type forward struct {
	names  []string
	values []any
}

func (f forward) target() logr.Logger {
	l := current()
	for _, n := range f.names {
		l = l.WithName(n)
	}
	if len(f.values) > 0 {
		l = l.WithValues(f.values...)
	}
	return l
}

func (forward) Init(logr.RuntimeInfo) {}

// Enabled asks the destination without applying names and values, which
// do not change a verbosity: it runs on every line, also those not logged.
func (f forward) Enabled(level int) bool { return current().V(level).Enabled() }

func (f forward) Info(level int, msg string, kv ...any) { f.target().V(level).Info(msg, kv...) }

func (f forward) Error(err error, msg string, kv ...any) { f.target().Error(err, msg, kv...) }

func (f forward) WithValues(kv ...any) logr.LogSink {
	f.values = append(append([]any(nil), f.values...), kv...)
	return f
}

func (f forward) WithName(name string) logr.LogSink {
	f.names = append(append([]string(nil), f.names...), name)
	return f
}
