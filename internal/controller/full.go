package controller

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/internal/deploy"
	"github.com/kluctl-go/kluctl/internal/engine"
	"github.com/kluctl-go/kluctl/internal/result"
)

// fullReconcile deploys when needed, validates and detects drift. The
// first error is a failed command (recorded in status), the second one a
// failure to prepare.
func (rc *run) fullReconcile() (error, error) {
	if err := rc.prepare(); err != nil {
		return nil, rc.failPrepare(err)
	}
	rc.kd.Status.LastPrepareError = ""
	spec := &rc.kd.Spec
	st := &rc.kd.Status
	hash := rc.target.ObjectsHash
	tk := rc.targetKey()
	st.TargetKey = &tk

	needDeploy := false
	switch {
	case st.LastDeployResult == nil || st.LastObjectsHash != hash:
		needDeploy = true
	case spec.Manual && deref(st.LastManualObjectsHash) != deref(spec.ManualObjectsHash):
		needDeploy = true
	case st.ObservedGeneration != rc.kd.Generation:
		needDeploy = true
	default:
		if t := rc.nextDeployTime(); t != nil && t.Before(time.Now()) {
			needDeploy = true
		}
	}
	if needDeploy && spec.Manual && deref(spec.ManualObjectsHash) != hash {
		rc.logf("deployment is not approved: spec.manualObjectsHash does not match %s", hash)
		needDeploy = false
	}
	needValidate := false
	if spec.Validate {
		t := rc.nextValidateTime()
		needValidate = st.LastValidateResult == nil || needDeploy || (t != nil && t.Before(time.Now()))
	} else {
		st.LastValidateResult = nil
	}
	st.LastObjectsHash = hash
	st.LastManualObjectsHash = spec.ManualObjectsHash
	defer func() { st.ObservedGeneration = rc.kd.Generation }()

	var errs []error
	var deployed *result.CommandResult
	if needDeploy {
		doc, err := rc.deploy(rc.deployOptions())
		errs = append(errs, err)
		if err == nil {
			deployed = doc
		}
	}
	if needValidate {
		errs = append(errs, rc.validate())
	}
	if deployed != nil && !rc.pokeMode() {
		// Right after a clean deploy, a dry-run diff would only find what
		// the deploy itself found: the orphans it left.
		rc.recordDrift(deployed.DriftAfterDeploy())
	} else {
		errs = append(errs, rc.driftDetection())
	}
	return errors.Join(errs...), nil
}

func (rc *run) deployOptions() deploy.Options {
	spec := &rc.kd.Spec
	o := deploy.DefaultOptions()
	o.DryRun = rc.r.opts.DryRun || spec.DryRun
	o.NoWait = spec.NoWait
	o.ForceApply = spec.ForceApply
	o.ReplaceOnError = spec.ReplaceOnError
	o.ForceReplaceOnError = spec.ForceReplaceOnError
	o.AbortOnError = spec.AbortOnError
	o.Prune = spec.Prune
	o.ReadinessTimeout = 10 * time.Minute
	return o
}

func (rc *run) targetKey() v1beta1.TargetKey {
	return v1beta1.TargetKey{TargetName: rc.target.Name(), Discriminator: rc.target.Discriminator(), ClusterId: rc.r.clusterIDOf(rc.ctx, rc.target)}
}

// deploy runs the engine's deploy (with prune when asked) and records it;
// with spec.deployMode poke-images it only pokes the images.
func (rc *run) deploy(o deploy.Options) (*result.CommandResult, error) {
	if rc.pokeMode() {
		return rc.pokeImages(o.DryRun, false)
	}
	if o.Prune && rc.target.Discriminator() == "" {
		return nil, errors.New("spec.prune is set, but the target has no discriminator; refusing to look for orphans")
	}
	rc.progress("Performing kluctl " + v1beta1.KluctlDeployModeFull)
	start := time.Now()
	res, err := rc.target.Deploy(rc.ctx, o)
	rc.r.metrics.deployDuration.WithLabelValues(rc.kd.Namespace, rc.kd.Name, v1beta1.KluctlDeployModeFull).Observe(since(start))
	if res == nil || res.Document == nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	sum := rc.storeCommandResult(res, "deploy", false)
	rc.kd.Status.LastDeployResult = encodeRaw(sum)
	return res.Document, errorOf(sum, "deploy")
}

// validate runs the engine's validate once and records it.
func (rc *run) validate() error {
	rc.progress("Performing kluctl validate")
	start := time.Now()
	res, err := rc.target.Validate(rc.ctx, engine.ValidateOptions{})
	rc.r.metrics.validateDuration.WithLabelValues(rc.kd.Namespace, rc.kd.Name).Observe(since(start))
	if res == nil || res.Document == nil {
		return fmt.Errorf("validate: %w", err)
	}
	doc := res.Document
	rc.annotateValidate(doc)
	rc.storeValidateResult(doc)
	rc.kd.Status.LastValidateResult = encodeRaw(doc)
	if !doc.Ready || len(doc.Errors) != 0 {
		return errors.New(baseMessage("validate", len(doc.Errors), len(doc.Warnings)))
	}
	return nil
}

// driftDetection runs a dry-run diff and records what differs.
func (rc *run) driftDetection() error {
	rc.progress("Performing drift detection")
	res, err := rc.target.Diff(rc.ctx, engine.DiffOptions{Options: rc.deployOptions()})
	if res == nil || res.Document == nil {
		return fmt.Errorf("drift detection: %w", err)
	}
	rc.annotate(res.Document)
	rc.recordDrift(res.Document.DriftDetection())
	return nil
}

func (rc *run) recordDrift(d *result.DriftDetectionResult) {
	d.ID = uuid.NewString()
	rc.kd.Status.LastDriftDetectionResult = encodeRaw(d)
	rc.kd.Status.LastDriftDetectionResultMessage = d.ShortMessage()
}

// errorOf is the error of a failed command, from its summary.
func errorOf(sum *result.CommandResultSummary, cmd string) error {
	if len(sum.Errors) == 0 {
		return nil
	}
	return errors.New(baseMessage(cmd, len(sum.Errors), len(sum.Warnings)))
}

func baseMessage(cmd string, errs, warnings int) string {
	switch {
	case errs != 0 && warnings != 0:
		return fmt.Sprintf("%s failed with %d errors and %d warnings.", cmd, errs, warnings)
	case errs != 0:
		return fmt.Sprintf("%s failed with %d errors.", cmd, errs)
	case warnings != 0:
		return fmt.Sprintf("%s succeeded with %d warnings.", cmd, warnings)
	}
	return fmt.Sprintf("%s succeeded.", cmd)
}

// resultMessage is the original's message of a command summary.
func resultMessage(sum *result.CommandResultSummary, cmd string) string {
	var b strings.Builder
	b.WriteString(baseMessage(cmd, len(sum.Errors), len(sum.Warnings)))
	for _, p := range []struct {
		n    int
		text string
	}{{sum.NewObjects, "new objects"}, {sum.ChangedObjects, "changed objects"}, {sum.AppliedHookObjects, "hooks run"}, {sum.DeletedObjects, "deleted objects"}, {sum.OrphanObjects, "orphan objects"}} {
		if p.n != 0 {
			fmt.Fprintf(&b, " %d %s.", p.n, p.text)
		}
	}
	return b.String()
}

// finalStatus is the Ready message and reason after a full reconcile.
func (rc *run) finalStatus() (string, string) {
	var deploySum result.CommandResultSummary
	if !decodeRaw(rc.kd.Status.LastDeployResult, &deploySum) {
		return "deployment status unknown", v1beta1.DeployFailedReason
	}
	msg := resultMessage(&deploySum, "deploy")
	reason := v1beta1.ReconciliationSucceededReason
	if len(deploySum.Errors) != 0 {
		reason = v1beta1.DeployFailedReason
		msg += " First error: " + firstError(deploySum.Errors)
	}
	if rc.kd.Spec.Validate {
		var v result.ValidateDocument
		if !decodeRaw(rc.kd.Status.LastValidateResult, &v) {
			return msg + " Validation status unknown.", v1beta1.ValidateFailedReason
		}
		msg += " " + baseMessage("validate", len(v.Errors), len(v.Warnings))
		if (!v.Ready || len(v.Errors) != 0) && reason == v1beta1.ReconciliationSucceededReason {
			reason = v1beta1.ValidateFailedReason
		}
	}
	return msg, reason
}

// firstError names the first error of a result, so that the condition
// says why a command failed.
func firstError(errs []result.DeploymentError) string {
	e := errs[0]
	if e.Ref.Kind == "" {
		return e.Message
	}
	return e.Ref.String() + ": " + e.Message
}
