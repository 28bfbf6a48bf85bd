package result

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kluctl-go/kluctl/internal/k8s"
)

// BenchmarkCompact compacts 2000 Deployment-like objects whose remote and
// applied bodies carry the server's defaults, as a deploy result does.
func BenchmarkCompact(b *testing.B) {
	objs := make(CompactedObjects, 2000)
	for i := range objs {
		rendered := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": fmt.Sprintf("app-%d", i), "namespace": "ns", "labels": map[string]any{"kluctl.io/discriminator": "bench", "app": "x"}},
			"spec": map[string]any{"replicas": int64(3), "template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "main", "image": "registry.example/app:1", "env": []any{map[string]any{"name": "A", "value": "1"}}}}}}}}
		remote := map[string]any{}
		for k, v := range rendered {
			remote[k] = v
		}
		remote["metadata"] = map[string]any{"name": fmt.Sprintf("app-%d", i), "namespace": "ns", "uid": fmt.Sprintf("uid-%d", i), "resourceVersion": "12345",
			"creationTimestamp": "2024-01-01T00:00:00Z", "generation": int64(2), "labels": map[string]any{"kluctl.io/discriminator": "bench", "app": "x"}}
		remote["status"] = map[string]any{"replicas": int64(3), "readyReplicas": int64(3), "observedGeneration": int64(2)}
		objs[i] = ResultObject{BaseObject: BaseObject{Ref: k8s.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Name: fmt.Sprintf("app-%d", i)}},
			Rendered: rendered, Remote: remote, Applied: remote}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := json.Marshal(objs)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(out))/float64(len(objs)), "bytes/object")
	}
}
