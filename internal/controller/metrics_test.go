package controller

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
)

// A deployment whose source changes keeps one source_spec series.
func TestSourceSpecHasOneSeriesPerDeployment(t *testing.T) {
	m := newMetrics()
	before := testutil.CollectAndCount(m.sourceSpec)
	kd := &v1beta1.KluctlDeployment{ObjectMeta: metav1.ObjectMeta{Namespace: "metrics-test", Name: "moving-source"}}
	for _, url := range []string{"https://git.example.com/a.git", "https://git.example.com/b.git", "https://git.example.com/c.git"} {
		kd.Spec.Source = v1beta1.ProjectSource{Git: &v1beta1.ProjectSourceGit{URL: url}}
		m.spec(kd)
	}
	if got := testutil.CollectAndCount(m.sourceSpec) - before; got != 1 {
		t.Errorf("%d source_spec series for one deployment, want 1", got)
	}
}
