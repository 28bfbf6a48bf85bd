// Package kustomize builds the kustomization of a rendered deployment item
// folder.
//
// Build runs the kustomize API (krusty) on a folder with builtin plugins
// only, on a read-only view of the disk that refuses every path outside the
// project root, so a resource, base or patch that escapes the project is an
// error. Inside the root, a kustomization may refer to files outside its
// own folder, as Kluctl allows. A folder without a kustomization file gets
// one generated in memory (see GenerateKustomization), the way Kluctl
// treats "simple deployments".
package kustomize
