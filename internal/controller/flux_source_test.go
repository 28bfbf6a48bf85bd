package controller

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kluctl-go/kluctl/internal/fluxartifact"
)

func TestArtifactOf(t *testing.T) {
	failing := map[string]any{"type": "Ready", "status": "False", "reason": "GitOperationFailed", "message": "repository not found: "}
	for _, tt := range []struct {
		name    string
		status  map[string]any
		want    *fluxartifact.Ref
		wantErr string
	}{
		{
			name: "an artifact is used even when the latest fetch failed",
			status: map[string]any{
				"artifact":   map[string]any{"url": "http://127.0.0.1/a.tar.gz", "revision": "main@sha1:abc", "digest": "sha256:def"},
				"conditions": []any{failing},
			},
			want: &fluxartifact.Ref{URL: "http://127.0.0.1/a.tar.gz", Revision: "main@sha1:abc", Digest: "sha256:def"},
		},
		{
			name:    "no artifact: the source's Ready condition says why",
			status:  map[string]any{"conditions": []any{map[string]any{"type": "Reconciling", "status": "True"}, failing}},
			wantErr: "artifact not found (Ready=False, GitOperationFailed: repository not found)",
		},
		{
			name:    "no artifact and no condition yet",
			status:  nil,
			wantErr: "artifact not found",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{}}
			if tt.status != nil {
				u.Object["status"] = tt.status
			}
			got, err := artifactOf(u)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("artifact (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, errSourceNotReady) {
				t.Errorf("error = %v, want %q wrapping errSourceNotReady", err, tt.wantErr)
			}
		})
	}
}
