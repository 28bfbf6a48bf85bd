package controllercmd

import (
	"fmt"
	"io"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
)

// logTimeLayout is RFC 3339 with microseconds, so that the ts key parses
// as a JSON time.
const logTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// NewLogger returns the controller's logger: one JSON object per line on
// w, with the keys ts, level, msg and error plus those of the context;
// controller-runtime adds name, namespace and reconcileID to the logs of a
// reconcile, which `kluctl gitops logs` filters by. Each line is one Write.
func NewLogger(w io.Writer) logr.Logger {
	return funcr.NewJSON(func(obj string) { fmt.Fprintln(w, obj) }, funcr.Options{LogTimestamp: true, TimestampFormat: logTimeLayout})
}
