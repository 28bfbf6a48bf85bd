package webui

import (
	"context"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/controllerlogs"
)

// logsSince is how far back /api/logs starts, as in the original.
const logsSince = 60 * time.Second

// logs streams the controller's log lines of one KluctlDeployment (and one
// reconciliation) over a WebSocket, one JSON log record per frame. They are
// read from the controller pods in the controller namespace of the cluster.
func (s *Server) logs(w http.ResponseWriter, r *http.Request, _ *User) {
	q := r.URL.Query()
	c := s.cluster(q.Get("cluster"))
	if c == nil {
		http.Error(w, "cluster "+q.Get("cluster")+" not found", http.StatusNotFound)
		return
	}
	filter := controllerlogs.Filter{ReconcileID: q.Get("reconcileId")}
	if q.Get("name") != "" {
		filter.Objects = []types.NamespacedName{{Namespace: q.Get("namespace"), Name: q.Get("name")}}
	}
	cfg := rest.CopyConfig(c.cfg)
	cfg.Timeout = 0 // the streams stay open
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		httpError(w, err)
		return
	}
	listCtx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	conn, err := s.accept(w, r)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	streams, err := controllerlogs.OpenStreams(listCtx, ctx, cs, s.opts.ControllerNamespace, true, logsSince)
	if err != nil {
		_ = writeFrame(ctx, conn, map[string]any{"level": "error", "msg": "logs are not available: " + err.Error()})
		return
	}
	_ = controllerlogs.Follow(ctx, streams, filter, func(l controllerlogs.Line) {
		_ = writeFrame(ctx, conn, l.Raw)
	})
}
