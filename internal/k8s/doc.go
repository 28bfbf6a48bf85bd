// Package k8s holds the small Kubernetes vocabulary shared by the pipeline
// stages: object references, the labels and annotations Kluctl reads and
// writes, and helpers to build clients from a kubeconfig.
package k8s
