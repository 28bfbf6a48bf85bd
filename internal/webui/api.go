package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/result"
	"github.com/kluctl-go/kluctl/internal/results"
)

// apiTimeout bounds the cluster requests of one API call.
const apiTimeout = 30 * time.Second

func (s *Server) apiRoutes(mux *http.ServeMux, p string) {
	mux.HandleFunc("GET "+p+"/api/getShortNames", s.auth.require(s.getShortNames))
	mux.HandleFunc("GET "+p+"/api/getCommandResult", s.auth.require(s.getCommandResult))
	mux.HandleFunc("GET "+p+"/api/getCommandResultObject", s.auth.require(s.getCommandResultObject))
	mux.HandleFunc("GET "+p+"/api/getValidateResult", s.auth.require(s.getValidateResult))
	for path, annotation := range map[string]string{
		"deployNow":    v1beta1.KluctlRequestDeployAnnotation,
		"diffNow":      v1beta1.KluctlRequestDiffAnnotation,
		"pruneNow":     v1beta1.KluctlRequestPruneAnnotation,
		"validateNow":  v1beta1.KluctlRequestValidateAnnotation,
		"reconcileNow": v1beta1.KluctlRequestReconcileAnnotation,
	} {
		mux.HandleFunc("POST "+p+"/api/"+path, s.auth.require(s.request(annotation)))
	}
	mux.HandleFunc("POST "+p+"/api/setSuspended", s.auth.require(s.setSuspended))
	mux.HandleFunc("POST "+p+"/api/setManualObjectsHash", s.auth.require(s.setManualObjectsHash))
	mux.HandleFunc("GET "+p+"/api/events", s.auth.require(s.events))
	mux.HandleFunc("GET "+p+"/api/logs", s.auth.require(s.logs))
}

// findInClusters asks get of every cluster until one finds the result id.
func findInClusters[T any](s *Server, id string, get func(*Cluster) (T, error)) (T, error) {
	for _, c := range s.clusters {
		v, err := get(c)
		var nf *results.NotFoundError
		if errors.As(err, &nf) {
			continue
		}
		return v, err
	}
	var zero T
	return zero, &results.NotFoundError{ID: id}
}

// findCommandResult looks for the result id in every cluster's store.
func (s *Server) findCommandResult(ctx context.Context, id string, reduced bool) (*result.CommandResult, error) {
	return findInClusters(s, id, func(c *Cluster) (*result.CommandResult, error) {
		return c.store.GetCommandResult(ctx, id, reduced)
	})
}

func httpError(w http.ResponseWriter, err error) {
	var nf *results.NotFoundError
	switch {
	case errors.As(err, &nf), apierrors.IsNotFound(err):
		http.Error(w, err.Error(), http.StatusNotFound)
	case apierrors.IsForbidden(err):
		http.Error(w, err.Error(), http.StatusForbidden)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func (s *Server) getCommandResult(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.URL.Query().Get("resultId")
	if id == "" {
		http.Error(w, "resultId is required", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	cr, err := s.findCommandResult(ctx, id, true)
	if err != nil {
		httpError(w, err)
		return
	}
	if !u.IsAdmin {
		cr = redactForViewer(cr)
	}
	writeJSON(w, http.StatusOK, cr)
}

func isSecret(ref k8s.ObjectRef) bool { return ref.Group == "" && ref.Kind == "Secret" }

// redactForViewer drops what a viewer must not see: Secret objects, the
// objects as they were in the cluster or applied, vars, and args (which
// feed templates as vars do, and may hold credentials).
func redactForViewer(cr *result.CommandResult) *result.CommandResult {
	out := *cr
	out.Target.Args, out.Command.Args = nil, nil
	out.Objects = make([]result.ResultObject, len(cr.Objects))
	for i, o := range cr.Objects {
		o.Remote, o.Applied = nil, nil
		if isSecret(o.Ref) {
			o.Rendered = nil
		}
		out.Objects[i] = o
	}
	out.Deployment = redactDeployment(cr.Deployment)
	out.OverridesPatch = nil
	return &out
}

// redactDeployment returns a copy of d without vars and args, also in its
// items and the projects they include.
func redactDeployment(d *result.Deployment) *result.Deployment {
	if d == nil {
		return nil
	}
	out := *d
	out.Vars = nil
	out.Deployments = make([]result.DeploymentItem, len(d.Deployments))
	for i, it := range d.Deployments {
		it.Vars, it.Args = nil, nil
		it.RenderedInclude = redactDeployment(it.RenderedInclude)
		out.Deployments[i] = it
	}
	return &out
}

func (s *Server) getCommandResultObject(w http.ResponseWriter, r *http.Request, u *User) {
	q := r.URL.Query()
	id, typ := q.Get("resultId"), q.Get("objectType")
	ref := k8s.ObjectRef{Group: q.Get("group"), Version: q.Get("version"), Kind: q.Get("kind"), Name: q.Get("name"), Namespace: q.Get("namespace")}
	if id == "" || ref.Kind == "" || ref.Name == "" {
		http.Error(w, "resultId, kind and name are required", http.StatusBadRequest)
		return
	}
	if typ != "rendered" && typ != "remote" && typ != "applied" {
		http.Error(w, fmt.Sprintf("objectType %q: want rendered, remote or applied", typ), http.StatusBadRequest)
		return
	}
	if !u.IsAdmin && (typ != "rendered" || isSecret(ref)) {
		http.Error(w, "viewers may see only the rendered objects, and no Secrets", http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	cr, err := s.findCommandResult(ctx, id, false)
	if err != nil {
		httpError(w, err)
		return
	}
	for _, o := range cr.Objects {
		if !sameRef(o.Ref, ref) {
			continue
		}
		obj := map[string]map[string]any{"rendered": o.Rendered, "remote": o.Remote, "applied": o.Applied}[typ]
		if obj == nil {
			break
		}
		writeJSON(w, http.StatusOK, obj)
		return
	}
	http.Error(w, fmt.Sprintf("result %s has no %s object %s", id, typ, ref), http.StatusNotFound)
}

// sameRef compares references; the UI may leave out the version.
func sameRef(a, b k8s.ObjectRef) bool {
	if b.Version == "" {
		a.Version = ""
	}
	return a == b
}

func (s *Server) getValidateResult(w http.ResponseWriter, r *http.Request, u *User) {
	id := r.URL.Query().Get("resultId")
	if id == "" {
		http.Error(w, "resultId is required", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	v, err := findInClusters(s, id, func(c *Cluster) (*result.ValidateDocument, error) {
		return c.store.GetValidateResult(ctx, id)
	})
	if err != nil {
		httpError(w, err)
		return
	}
	if !u.IsAdmin {
		redacted := *v
		redacted.OverridesPatch = nil
		v = &redacted
	}
	writeJSON(w, http.StatusOK, v)
}

// deploymentParam names a KluctlDeployment, as the original's API does.
type deploymentParam struct {
	Cluster     string  `json:"cluster"`
	Name        string  `json:"name"`
	Namespace   string  `json:"namespace"`
	Suspend     *bool   `json:"suspend,omitempty"`
	ObjectsHash *string `json:"objectsHash,omitempty"`
}

// modify changes a KluctlDeployment as the user (impersonating the RBAC
// user of the role). Viewers are refused before the cluster is asked.
func (s *Server) modify(w http.ResponseWriter, r *http.Request, u *User, what string, mutate func(*deploymentParam, *v1beta1.KluctlDeployment) error) {
	var p deploymentParam
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&p); err != nil {
		http.Error(w, "bad request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if p.Name == "" || p.Namespace == "" {
		http.Error(w, "name and namespace are required", http.StatusBadRequest)
		return
	}
	if !u.IsAdmin {
		http.Error(w, "viewers cannot "+what, http.StatusForbidden)
		return
	}
	c := s.cluster(p.Cluster)
	if c == nil {
		http.Error(w, fmt.Sprintf("cluster %s not found", p.Cluster), http.StatusNotFound)
		return
	}
	cl, err := c.client(s.auth.rbacUser(u))
	if err != nil {
		httpError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	var kd v1beta1.KluctlDeployment
	if err := cl.Get(ctx, types.NamespacedName{Namespace: p.Namespace, Name: p.Name}, &kd); err != nil {
		httpError(w, err)
		return
	}
	patch := client.MergeFrom(kd.DeepCopy())
	if err := mutate(&p, &kd); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := cl.Patch(ctx, &kd, patch, client.FieldOwner("kluctl-webui")); err != nil {
		httpError(w, fmt.Errorf("%s %s/%s: %w", what, p.Namespace, p.Name, err))
		return
	}
	s.logf("%s: %s of KluctlDeployment %s/%s in cluster %s", u.Username, what, p.Namespace, p.Name, c.ID)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) cluster(id string) *Cluster {
	for _, c := range s.clusters {
		if c.ID == id || (id == "" && len(s.clusters) == 1) {
			return c
		}
	}
	return nil
}

func (s *Server) request(annotation string) func(http.ResponseWriter, *http.Request, *User) {
	return func(w http.ResponseWriter, r *http.Request, u *User) {
		s.modify(w, r, u, "request "+annotation, func(_ *deploymentParam, kd *v1beta1.KluctlDeployment) error {
			b, err := json.Marshal(v1beta1.ManualRequest{RequestValue: time.Now().Format(time.RFC3339Nano)})
			if err != nil {
				return err
			}
			if kd.Annotations == nil {
				kd.Annotations = map[string]string{}
			}
			kd.Annotations[annotation] = string(b)
			return nil
		})
	}
}

func (s *Server) setSuspended(w http.ResponseWriter, r *http.Request, u *User) {
	s.modify(w, r, u, "suspend or resume", func(p *deploymentParam, kd *v1beta1.KluctlDeployment) error {
		if p.Suspend == nil {
			return errors.New("suspend is required")
		}
		kd.Spec.Suspend = *p.Suspend
		return nil
	})
}

func (s *Server) setManualObjectsHash(w http.ResponseWriter, r *http.Request, u *User) {
	s.modify(w, r, u, "approve", func(p *deploymentParam, kd *v1beta1.KluctlDeployment) error {
		if p.ObjectsHash == nil || *p.ObjectsHash == "" {
			kd.Spec.ManualObjectsHash = nil
			return nil
		}
		h := *p.ObjectsHash
		kd.Spec.ManualObjectsHash = &h
		return nil
	})
}
