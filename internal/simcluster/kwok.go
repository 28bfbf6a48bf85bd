package simcluster

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kwokNodeAnnotation marks the nodes kwok manages.
const (
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
	kwokNodeIP         = "10.240.0.1"
	kwokPodCIDR        = "10.244.0.0/16"
)

// kwokConfig is kwok's --config: the stages that play the kubelet. It holds
// no KwokConfiguration, because kwok applies no defaults to one it is given;
// options go in flags instead (see kwokArgs). Stages match objects by jq-like expressions and patch their status
// from a Go template:
//
//   - node-ready: a new node becomes Ready with a large capacity; its
//     kubelet API is kwok's server at localhost:NodePort (see podlogs.go);
//   - pod-running: a pending pod on a kwok node starts all its containers;
//   - pod-succeeded: a running pod owned by a Job exits with code 0;
//   - pod-remove: a pod marked for deletion is deleted for good.
const kwokConfig = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: .status.phase
      operator: NotIn
      values: [Running]
  next:
    statusTemplate: |
      {{ $t := Now | Quote }}
      phase: Running
      conditions:
      - {type: Ready, status: "True", reason: KubeletReady, message: simulated by kwok, lastHeartbeatTime: {{ $t }}, lastTransitionTime: {{ $t }}}
      - {type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, message: simulated by kwok, lastHeartbeatTime: {{ $t }}, lastTransitionTime: {{ $t }}}
      - {type: DiskPressure, status: "False", reason: KubeletHasNoDiskPressure, message: simulated by kwok, lastHeartbeatTime: {{ $t }}, lastTransitionTime: {{ $t }}}
      - {type: PIDPressure, status: "False", reason: KubeletHasSufficientPID, message: simulated by kwok, lastHeartbeatTime: {{ $t }}, lastTransitionTime: {{ $t }}}
      - {type: NetworkUnavailable, status: "False", reason: RouteCreated, message: simulated by kwok, lastHeartbeatTime: {{ $t }}, lastTransitionTime: {{ $t }}}
      addresses:
      - {type: InternalIP, address: {{ NodeIP | Quote }}}
      - {type: Hostname, address: localhost}
      daemonEndpoints:
        kubeletEndpoint: {Port: {{ NodePort }}}
      capacity: {cpu: "1000", memory: 1Ti, pods: "10000", ephemeral-storage: 1Ti}
      allocatable: {cpu: "1000", memory: 1Ti, pods: "10000", ephemeral-storage: 1Ti}
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
        kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
        kernelVersion: {{ printf "kwok-%s" Version | Quote }}
        osImage: kwok
        machineID: ""
        systemUUID: ""
        bootID: ""
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-running
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
    - key: .status.phase
      operator: In
      values: [Pending]
  next:
    statusTemplate: |
      {{ $t := Now | Quote }}
      phase: Running
      startTime: {{ $t }}
      conditions:
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ $t }}}
      - {type: Initialized, status: "True", lastTransitionTime: {{ $t }}}
      - {type: ContainersReady, status: "True", lastTransitionTime: {{ $t }}}
      - {type: Ready, status: "True", lastTransitionTime: {{ $t }}}
      {{ range .spec.readinessGates }}
      - {type: {{ .conditionType | Quote }}, status: "True", lastTransitionTime: {{ $t }}}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      {{ if eq .restartPolicy "Always" }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $t }}}}}
      {{ else }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $t }}, finishedAt: {{ $t }}}}}
      {{ end }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $t }}}}}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      hostIPs:
      - ip: {{ NodeIPWith .spec.nodeName | Quote }}
      {{ with PodIPWith .spec.nodeName (or .spec.hostNetwork false) (or .metadata.uid "") (or .metadata.name "") (or .metadata.namespace "") }}
      podIP: {{ . | Quote }}
      podIPs:
      - ip: {{ . | Quote }}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-succeeded
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .metadata.deletionTimestamp
      operator: DoesNotExist
    - key: .status.phase
      operator: In
      values: [Running]
    - key: .metadata.ownerReferences.[].kind
      operator: In
      values: [Job]
  next:
    statusTemplate: |
      {{ $t := Now | Quote }}
      phase: Succeeded
      conditions:
      - {type: PodScheduled, status: "True", lastTransitionTime: {{ $t }}}
      - {type: Initialized, status: "True", lastTransitionTime: {{ $t }}}
      - {type: ContainersReady, status: "False", reason: PodCompleted, lastTransitionTime: {{ $t }}}
      - {type: Ready, status: "False", reason: PodCompleted, lastTransitionTime: {{ $t }}}
      containerStatuses:
      {{ range .spec.containers }}
      - {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: false, started: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $t }}, finishedAt: {{ $t }}}}}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-remove
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: .metadata.deletionTimestamp
      operator: Exists
  next:
    delete: true
`

// writeKwokConfig writes kwokConfig to path.
func writeKwokConfig(path string) error {
	if err := os.WriteFile(path, []byte(kwokConfig), 0o644); err != nil {
		return fmt.Errorf("write kwok config: %w", err)
	}
	return nil
}

// kwokArgs are the flags of kwok: it manages only nodes carrying the kwok
// annotation, gives pods addresses from kwokPodCIDR and serves the kubelet
// API of its nodes on 127.0.0.1:kubeletPort, where container logs come from
// kwok Logs objects (see podlogs.go).
func kwokArgs(kubeconfig, configPath string, kubeletPort int) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + configPath,
		"--manage-all-nodes=false",
		"--cidr=" + kwokPodCIDR,
		"--node-ip=" + kwokNodeIP,
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=" + kwokNodeValue,
		"--node-port=" + strconv.Itoa(kubeletPort),
		"--server-address=127.0.0.1:" + strconv.Itoa(kubeletPort),
		"--enable-crds=" + strings.Join(kwokCRDKinds(), ","),
	}
}

// nodeName is the name of the i-th kwok node.
func nodeName(i int) string { return fmt.Sprintf("kwok-node-%d", i) }

// kwokNode is a Node managed by kwok. It carries no taints so that ordinary
// workloads schedule onto it.
func kwokNode(name string) *corev1.Node {
	big := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("1000"),
		corev1.ResourceMemory: resource.MustParse("1Ti"),
		corev1.ResourcePods:   resource.MustParse("10000"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: kwokNodeValue},
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{Capacity: big, Allocatable: big},
	}
}

// createNodes creates n kwok nodes, leaving existing ones alone.
func createNodes(ctx context.Context, cs kubernetes.Interface, n int) error {
	for i := range n {
		_, err := cs.CoreV1().Nodes().Create(ctx, kwokNode(nodeName(i)), metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", nodeName(i), err)
		}
	}
	return nil
}

// nodesReady reports whether the first n kwok nodes are Ready.
func nodesReady(ctx context.Context, cs kubernetes.Interface, n int) (bool, error) {
	for i := range n {
		node, err := cs.CoreV1().Nodes().Get(ctx, nodeName(i), metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		ready := false
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			return false, nil
		}
	}
	return true, nil
}
