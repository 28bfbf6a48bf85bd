package controller

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestMultiDeploymentChildName(t *testing.T) {
	for _, tt := range []struct {
		name          string
		multi, target string
		want          string
	}{
		{name: "valid names are kept, as the original named them", multi: "preview", target: "review-a", want: "preview-review-a-2882c82e"},
		{name: "invalid characters become dashes", multi: "preview", target: "Feature/X_1", want: "preview-feature-x-1-e0f12449"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, multiDeploymentChildName(tt.multi, tt.target)); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
		})
	}
	long := multiDeploymentChildName("m", strings.Repeat("x", 300))
	if errs := validation.IsDNS1123Subdomain(long); len(errs) != 0 {
		t.Errorf("name of a long target %q: %v", long, errs)
	}
	if a, b := multiDeploymentChildName("m", "a/b"), multiDeploymentChildName("m", "a_b"); a == b {
		t.Errorf("targets that sanitize alike share the name %s", a)
	}
}
