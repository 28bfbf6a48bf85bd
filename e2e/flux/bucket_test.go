package flux

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
	"github.com/kluctl-go/kluctl/internal/fluxsim"
)

// bucketDeployment deploys the project below project/ in the Bucket
// "projects", reconciling once an hour: a changed object is deployed
// through the watch on the Bucket.
const bucketDeployment = `apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: from-bucket
spec:
  interval: 1h
  path: project
  sourceRef:
    kind: Bucket
    name: projects
  target: test
`

// TestFluxBucketSource: the project files are objects of an S3 bucket (a
// loopback S3 server that wants the access key of the Bucket's secret);
// source-controller packs them into the Bucket's artifact and the
// KluctlDeployment deploys it. An object changed in the bucket is deployed
// once source-controller has it.
func TestFluxBucketSource(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const accessKey, secretKey = "flux", "bucket-s3cret"
	s3, err := fluxsim.StartBucketServer(fluxsim.BucketOptions{AccessKey: accessKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s3.Close() })
	put := func(files map[string][]byte) {
		t.Helper()
		under := map[string][]byte{}
		for k, v := range files {
			under["project/"+k] = v
		}
		if err := s3.Put("projects", under); err != nil {
			t.Fatal(err)
		}
	}
	project := configMapProject(e.ns, "from-bucket")
	put(project)

	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bucket-credentials"},
		StringData: map[string]string{"accesskey": accessKey, "secretkey": secretKey},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bucket := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "Bucket",
		"metadata": map[string]any{"name": "projects", "namespace": e.ns},
		"spec": map[string]any{
			"provider": "generic", "bucketName": "projects", "endpoint": s3.Endpoint(), "insecure": true,
			"interval": "2s", "secretRef": map[string]any{"name": "bucket-credentials"},
		},
	}}
	if err := e.cl.Create(ctx, bucket); err != nil {
		t.Fatal(err)
	}

	e.apply(bucketDeployment)
	kd := e.waitFor("from-bucket", "Ready", 2*time.Minute, isReady)
	first := kd.Status.LastDeployResult
	if first == nil || !strings.HasPrefix(first.Revision, "sha256:") || first.TargetName != "test" {
		t.Fatalf("last deploy result: %+v", first)
	}
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "from-bucket", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the ConfigMap from the bucket was not deployed: %v", err)
	}
	if cm.Data["target"] != "test" {
		t.Errorf("ConfigMap data: %v", cm.Data)
	}

	put(map[string][]byte{"config/configmap.yaml": []byte(strings.Replace(string(project["config/configmap.yaml"]),
		`target: "{{ target.name }}"`, `target: "{{ target.name }}"`+"\n  changed: \"yes\"", 1))})
	kd = e.waitFor("from-bucket", "the changed object deployed", 2*time.Minute, func(kd *v1alpha1.KluctlDeployment) bool {
		return isReady(kd) && kd.Status.LastDeployResult != nil && kd.Status.LastDeployResult.Revision != first.Revision
	})
	cm, err = e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "from-bucket", metav1.GetOptions{})
	if err != nil || cm.Data["changed"] != "yes" {
		t.Errorf("the changed object is not deployed (revision %s): %v %v", kd.Status.LastDeployResult.Revision, cm.Data, err)
	}
}
