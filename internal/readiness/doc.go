// Package readiness decides whether a live object is ready, with Kluctl's
// per-kind rules (Deployment, StatefulSet, DaemonSet, Job, Pod, PVC,
// Service, CRD, generic Ready conditions, the kluctl.io/is-ready
// annotation), and waits for objects to become ready.
package readiness
