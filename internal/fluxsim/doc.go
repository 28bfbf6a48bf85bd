// Package fluxsim runs a real Flux source-controller as a local process next
// to a simulated cluster (see internal/simcluster), for tests that need
// GitRepository, OCIRepository, HelmRepository, HelmChart or Bucket objects
// reconciled into artifacts.
//
// Build compiles source-controller from the Go module proxy into the same
// cache as the Kubernetes binaries and keeps its CRDs next to it; `make
// cluster-build` (go run ./hack/cluster build) runs it. Start installs the
// CRDs into a cluster, starts the controller on loopback ports with its
// artifact storage in a temporary directory and returns once it serves.
// Artifact URLs in object status point at 127.0.0.1, so tests download them
// directly.
//
// The controller watches every namespace of its cluster, so start one per
// cluster at a time.
//
// StartBucketServer runs an S3-compatible object store (gofakes3, in
// memory) in the calling process on a loopback port, for Buckets of
// provider generic; it can require the access key of the Bucket's secret.
package fluxsim
