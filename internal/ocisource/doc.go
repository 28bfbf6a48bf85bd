// Package ocisource moves Kluctl projects through OCI registries: it packs
// a project folder into the artifact `kluctl oci push` produces (one
// gzipped tar layer of the project files, the annotations of the
// original) and pushes it, and it pulls artifacts by tag or digest into a
// bounded on-disk cache that processes share, unpacked safely (no paths
// or symlinks leaving the folder, bounded size). OCI includes of
// deployment.yml and the controller's spec.source.oci read projects
// through it.
package ocisource
