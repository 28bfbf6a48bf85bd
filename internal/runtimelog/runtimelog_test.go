package runtimelog

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

type capture struct {
	mu    sync.Mutex
	lines []string
}

func (c *capture) logger(verbosity int) logr.Logger {
	return funcr.New(func(prefix, args string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.lines = append(c.lines, prefix+" "+args)
	}, funcr.Options{Verbosity: verbosity})
}

func (c *capture) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// controller-runtime's loggers, including those it derived before Route
// was called, write to the routed logger with their names and values; the
// routed verbosity applies; restore brings back the previous destination.
func TestRoute(t *testing.T) {
	early := ctrllog.Log.WithName("cache").WithValues("kind", "ConfigMap")
	var first, second capture
	restoreFirst := Route(first.logger(0))
	early.Info("watch ended", "err", "gone")
	early.V(3).Info("too verbose")
	restoreSecond := Route(second.logger(4))
	early.V(3).Info("verbose enough")
	ctrllog.Log.Error(errors.New("boom"), "failed")
	restoreSecond()
	early.Info("back to the first")
	restoreFirst()
	early.Info("dropped")

	got := first.all()
	for _, want := range []string{`cache "level"=0 "msg"="watch ended" "kind"="ConfigMap" "err"="gone"`, `"back to the first"`} {
		if !strings.Contains(got, want) {
			t.Errorf("first logger lacks %s:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"too verbose", "verbose enough", "boom", "dropped"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("first logger has %q:\n%s", unwanted, got)
		}
	}
	got = second.all()
	for _, want := range []string{`"verbose enough"`, `"error"="boom"`} {
		if !strings.Contains(got, want) {
			t.Errorf("second logger lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "back to the first") {
		t.Errorf("the second logger got a line after it was restored:\n%s", got)
	}
}
