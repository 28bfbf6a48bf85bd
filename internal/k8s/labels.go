package k8s

// Labels and annotations that Kluctl writes to or reads from objects. The
// names are part of the compatibility contract with the original tool.
const (
	LabelDiscriminator = "kluctl.io/discriminator"
	LabelTagPrefix     = "kluctl.io/tag-"

	AnnotationDeploymentItemDir    = "kluctl.io/deployment-item-dir"
	AnnotationHelmInstallNamespace = "kluctl.io/helm-install-namespace"
	AnnotationSkipDelete           = "kluctl.io/skip-delete"
	AnnotationSkipDeleteIfTags     = "kluctl.io/skip-delete-if-tags"
	AnnotationForceApply           = "kluctl.io/force-apply"
	AnnotationForceApplyField      = "kluctl.io/force-apply-field"
	AnnotationIgnoreConflicts      = "kluctl.io/ignore-conflicts"
	AnnotationIgnoreConflictsField = "kluctl.io/ignore-conflicts-field"
	AnnotationIgnoreDiff           = "kluctl.io/ignore-diff"
	AnnotationIgnoreDiffField      = "kluctl.io/ignore-diff-field"
	AnnotationIgnoreDiffFieldRegex = "kluctl.io/ignore-diff-field-regex"
	AnnotationHook                 = "kluctl.io/hook"
	AnnotationHookWeight           = "kluctl.io/hook-weight"
	AnnotationHookDeletePolicy     = "kluctl.io/hook-delete-policy"
	AnnotationHookWait             = "kluctl.io/hook-wait"
	AnnotationHookTimeout          = "kluctl.io/hook-timeout"
	AnnotationWaitReadiness        = "kluctl.io/wait-readiness"
	AnnotationIsReady              = "kluctl.io/is-ready"
	AnnotationForceReplaceOnError  = "kluctl.io/force-replace-on-error"
	AnnotationReplaceOnError       = "kluctl.io/replace-on-error"
	AnnotationDownscale            = "kluctl.io/downscale-patch"
	FieldManager                   = "kluctl"
)

// DiscriminatorSelector is the label selector of the objects a target with
// discriminator d deployed; empty when d is.
func DiscriminatorSelector(d string) string {
	if d == "" {
		return ""
	}
	return LabelDiscriminator + "=" + d
}
