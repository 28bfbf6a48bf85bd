package controller

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	jsonpatch "github.com/evanphx/json-patch/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/prune"
)

var requestAnnotations = []string{
	v1beta1.KluctlRequestReconcileAnnotation, v1beta1.KluctlRequestDiffAnnotation, v1beta1.KluctlRequestDeployAnnotation,
	v1beta1.KluctlRequestPruneAnnotation, v1beta1.KluctlRequestValidateAnnotation,
}

// requestPredicate lets updates through that add, change or remove a
// request annotation.
type requestPredicate struct {
	predicate.Funcs
}

func (requestPredicate) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	o, n := e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations()
	for _, a := range requestAnnotations {
		if o[a] != n[a] {
			return true
		}
	}
	return false
}

// resultField returns the status field recording requests of annotation.
func (rc *run) resultField(annotation string) **v1beta1.ManualRequestResult {
	st := &rc.kd.Status
	switch annotation {
	case v1beta1.KluctlRequestDiffAnnotation:
		return &st.DiffRequestResult
	case v1beta1.KluctlRequestDeployAnnotation:
		return &st.DeployRequestResult
	case v1beta1.KluctlRequestPruneAnnotation:
		return &st.PruneRequestResult
	case v1beta1.KluctlRequestValidateAnnotation:
		return &st.ValidateRequestResult
	}
	return &st.ReconcileRequestResult
}

// startRequest takes the request of annotation off the object and records
// its start; false when there is none or it was handled already. The
// record lives in the status (see resultField): every status write
// replaces the status with the server's, so no pointer into it is kept.
func (rc *run) startRequest(annotation string) (bool, error) {
	v := rc.kd.Annotations[annotation]
	if v == "" {
		return false, nil
	}
	rc.logf("Processing %s: %s", annotation, v)
	// Only this key is removed: a merge patch computed from the object
	// would drop the whole (then empty, so omitted) annotations map and
	// with it requests that arrived since the object was read.
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{annotation: nil}}})
	if err != nil {
		return false, err
	}
	if err := rc.r.client.Patch(rc.ctx, rc.kd, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(rc.r.opts.Name)); err != nil {
		return false, fmt.Errorf("remove %s: %w", annotation, err)
	}
	rc.base.ObjectMeta = *rc.kd.ObjectMeta.DeepCopy()
	var mr v1beta1.ManualRequest
	if err := yaml.Unmarshal([]byte(v), &mr); err != nil || mr.RequestValue == "" {
		// The original's first form: the value is the request time itself.
		mr = v1beta1.ManualRequest{RequestValue: v}
	}
	field := rc.resultField(annotation)
	if *field != nil && (*field).Request.RequestValue == mr.RequestValue {
		return false, nil
	}
	*field = &v1beta1.ManualRequestResult{Request: mr, StartTime: metav1.Now(), ReconcileId: rc.reconcileID}
	if err := rc.flushStatus(); err != nil {
		return false, err
	}
	if mr.OverridesPatch != nil && len(mr.OverridesPatch.Raw) != 0 {
		if err := rc.applyOverrides(mr.OverridesPatch); err != nil {
			rc.finishRequest(annotation, "", err)
			return false, err
		}
		rc.request = &mr
	}
	return true, nil
}

// applyOverrides merges a request's overrides into the in-memory spec
// (never written back); it may change nothing but the spec.
func (rc *run) applyOverrides(patch *runtime.RawExtension) error {
	rc.logf("Applying onetime patch from manual request")
	orig, err := json.Marshal(rc.kd)
	if err != nil {
		return err
	}
	merged, err := jsonpatch.MergePatch(orig, patch.Raw)
	if err != nil {
		return fmt.Errorf("overridesPatch: %w", err)
	}
	var out v1beta1.KluctlDeployment
	if err := json.Unmarshal(merged, &out); err != nil {
		return fmt.Errorf("overridesPatch: %w", err)
	}
	a, b := rc.kd.DeepCopy(), out.DeepCopy()
	a.Spec, b.Spec = v1beta1.KluctlDeploymentSpec{}, v1beta1.KluctlDeploymentSpec{}
	if !reflect.DeepEqual(a, b) {
		return errors.New("override patch tried to modify non-spec fields")
	}
	rc.kd.Spec = out.Spec
	return nil
}

func (rc *run) finishRequest(annotation, resultID string, err error) {
	rr := *rc.resultField(annotation)
	if rr == nil {
		return
	}
	now := metav1.Now()
	rr.EndTime = &now
	rr.ResultId = resultID
	if err != nil {
		rr.CommandError = rc.mask(err.Error())
	}
	rc.logf("Finishing handling of manual request")
}

// manualRequests handles the first pending diff, deploy, prune or validate
// request (they run even when suspended) and reports whether it did.
func (rc *run) manualRequests() (bool, error) {
	for _, a := range []string{v1beta1.KluctlRequestDiffAnnotation, v1beta1.KluctlRequestDeployAnnotation, v1beta1.KluctlRequestPruneAnnotation, v1beta1.KluctlRequestValidateAnnotation} {
		started, err := rc.startRequest(a)
		if err != nil {
			return true, err
		}
		if !started {
			continue
		}
		if err := rc.prepare(); err != nil {
			rc.finishRequest(a, "", err)
			return true, rc.failPrepare(err)
		}
		id, err := rc.runRequest(a)
		rc.finishRequest(a, id, err)
		return true, nil
	}
	// A reconcile request runs the full reconcile, recorded there.
	started, err := rc.startRequest(v1beta1.KluctlRequestReconcileAnnotation)
	if err != nil {
		return true, err
	}
	rc.pendingReconcile = started
	return false, nil
}

// runRequest runs the command of a request and returns its result id.
func (rc *run) runRequest(annotation string) (string, error) {
	switch annotation {
	case v1beta1.KluctlRequestDiffAnnotation:
		rc.progress("Performing diff")
		res, err := rc.target.Diff(rc.ctx, engine.DiffOptions{Options: rc.deployOptions()})
		if res == nil || res.Document == nil {
			return "", err
		}
		sum := rc.storeCommandResult(res, "diff", true)
		rc.kd.Status.LastDiffResult = encodeRaw(sum)
		return res.Document.ID, errorOf(sum, "diff")
	case v1beta1.KluctlRequestDeployAnnotation:
		if rc.pokeMode() {
			doc, err := rc.pokeImages(rc.deployOptions().DryRun, true)
			if doc == nil {
				return "", err
			}
			return doc.ID, err
		}
		rc.progress("Performing deploy")
		o := rc.deployOptions()
		res, err := rc.target.Deploy(rc.ctx, o)
		if res == nil || res.Document == nil {
			return "", err
		}
		sum := rc.storeCommandResult(res, "deploy", true)
		rc.kd.Status.LastDeployResult = encodeRaw(sum)
		return res.Document.ID, errorOf(sum, "deploy")
	case v1beta1.KluctlRequestPruneAnnotation:
		rc.progress("Performing prune")
		if rc.target.Discriminator() == "" {
			return "", errors.New("the target has no discriminator; refusing to prune")
		}
		res, err := rc.target.Prune(rc.ctx, prune.Options{DryRun: rc.deployOptions().DryRun})
		if res == nil || res.Document == nil {
			return "", err
		}
		sum := rc.storeCommandResult(res, "prune", true)
		rc.kd.Status.LastDeployResult = encodeRaw(sum)
		return res.Document.ID, errorOf(sum, "prune")
	default:
		if err := rc.validate(); err != nil {
			var v struct {
				ID string `json:"id"`
			}
			decodeRaw(rc.kd.Status.LastValidateResult, &v)
			return v.ID, err
		}
		var v struct {
			ID string `json:"id"`
		}
		decodeRaw(rc.kd.Status.LastValidateResult, &v)
		return v.ID, nil
	}
}
