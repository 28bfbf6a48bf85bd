package simcluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Container logs: kwok serves the kubelet API of its nodes (see kwokArgs)
// and answers a container's log request from the file that a kwok Logs
// object, named like the pod, names for the container. The API server
// forwards `kubectl logs` there (see apiServerArgs).

const kwokGroup = "kwok.x-k8s.io"

var (
	crdResource  = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	logsResource = schema.GroupVersionResource{Group: kwokGroup, Version: "v1alpha1", Resource: "logs"}
)

// kwokCRDKinds are the kwok kinds read from the cluster rather than from
// kwok's config file.
func kwokCRDKinds() []string { return []string{"Logs"} }

// kwokLogsCRD is a minimal CustomResourceDefinition of kwok's namespaced
// Logs kind. Its schema keeps every field: kwok reads
// spec.logs[].{containers,logsFile,follow}.
func kwokLogsCRD() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": logsResource.Resource + "." + kwokGroup},
		"spec": map[string]any{
			"group": kwokGroup,
			"scope": "Namespaced",
			"names": map[string]any{"kind": "Logs", "listKind": "LogsList", "plural": "logs", "singular": "logs"},
			"versions": []any{map[string]any{
				"name": logsResource.Version, "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
}

// installKwokCRDs creates the CRDs of kwokCRDKinds and waits until they are
// established, so that kwok finds them when it starts.
func installKwokCRDs(ctx context.Context, cfg *rest.Config) error {
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	crd := kwokLogsCRD()
	if _, err := dc.Resource(crdResource).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create CRD %s: %w", crd.GetName(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		got, err := dc.Resource(crdResource).Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err == nil && established(got) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for CRD %s: %w", crd.GetName(), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// ServeContainerLogs makes the API server return the lines of file as the
// logs of container in the pod namespace/pod, which must exist. It creates
// the pod's kwok Logs object and returns when the logs can be read. file
// holds lines in the container runtime's format (see ContainerLogWriter) and
// may grow while it is followed.
func (c *Cluster) ServeContainerLogs(ctx context.Context, namespace, pod, container, file string) error {
	cfg := c.RESTConfig()
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	logs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": logsResource.GroupVersion().String(),
		"kind":       "Logs",
		"metadata":   map[string]any{"name": pod, "namespace": namespace},
		"spec": map[string]any{"logs": []any{map[string]any{
			"containers": []any{container}, "logsFile": file, "follow": true,
		}}},
	}}
	if _, err := dc.Resource(logsResource).Namespace(namespace).Create(ctx, logs, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create kwok Logs %s/%s: %w", namespace, pod, err)
	}
	// kwok learns of the object through a watch; the pod must be Running.
	return c.waitFor(ctx, time.Minute, fmt.Sprintf("logs of %s/%s", namespace, pod), func(ctx context.Context) (bool, error) {
		limit := int64(1)
		_, err := cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, LimitBytes: &limit}).DoRaw(ctx)
		return err == nil, nil
	})
}

// ContainerLogWriter writes what it is given as a container runtime stores
// a container's output (the CRI log format): one line per line written,
// prefixed with the time, the stream and the tag of a full line. It is
// safe for concurrent use; a line written in pieces is stored when it ends.
type ContainerLogWriter struct {
	mu     sync.Mutex
	w      io.Writer
	stream string
	buf    []byte
}

// NewContainerLogWriter returns a ContainerLogWriter of the stdout stream
// to w.
func NewContainerLogWriter(w io.Writer) *ContainerLogWriter {
	return &ContainerLogWriter{w: w, stream: "stdout"}
}

// Write stores the complete lines of p, each with one Write to the
// underlying writer.
func (w *ContainerLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := fmt.Appendf(nil, "%s %s F %s\n", time.Now().UTC().Format(time.RFC3339Nano), w.stream, w.buf[:i])
		w.buf = w.buf[i+1:]
		if _, err := w.w.Write(line); err != nil {
			return len(p), err
		}
	}
}
