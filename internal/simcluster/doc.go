// Package simcluster builds and runs a simulated Kubernetes control plane for
// tests and local development.
//
// The control plane is made of real etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler processes plus kwok, which plays
// the kubelet for fake nodes: pods scheduled onto a kwok node become Running,
// pods owned by a Job become Succeeded, and deleted pods go away. Nothing runs
// containers, so a cluster starts in seconds and several can run side by side
// on free loopback ports. The logs of a container can be served from a file
// (Cluster.ServeContainerLogs).
//
// The binaries are compiled from the Go module proxy on first use (see Build)
// and cached per Kubernetes version outside the source tree.
//
// Tests use RunMain in TestMain, Current to get the package's cluster and
// Cluster.NewNamespace for a fresh namespace per test. People use
// `go run ./hack/cluster up|down|status`, which calls Up, Down and ReadStatus.
package simcluster
