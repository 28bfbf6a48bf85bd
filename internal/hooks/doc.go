// Package hooks recognises hook objects (kluctl.io/hook and the Helm
// equivalents helm.sh/hook), selects the hooks of a deploy phase, and runs
// them: delete per before-hook-creation, apply in weight order, wait for
// readiness (a failed Job fails the hook) and delete per hook-succeeded or
// hook-failed.
package hooks
