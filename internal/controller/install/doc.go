// Package install installs the GitOps controller into a cluster, as
// `kluctl controller install` does: an embedded Kluctl project (the
// kluctl-system namespace, the CRDs generated from api/ (gitops.kluctl.io's
// KluctlDeployment and the Flux-era flux.kluctl.io KluctlDeployment and
// KluctlMultiDeployment), the controller's service account and RBAC, and the
// kluctl-controller
// Deployment) is loaded through the engine, so that an install is an
// ordinary deploy: it can be diffed, confirmed, dry-run, and repeated to
// upgrade in place.
//
// The project's args choose the image (kluctl_image, kluctl_version), the
// extra controller arguments and environment variables (controller_args,
// controller_envs), the container's resources (controller_resources) and
// where the pod may run (controller_node_selectors, controller_tolerations,
// controller_priority_class_name), plus controller_service_account_annotations.
package install
