package v1alpha1_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/api/v1alpha1"
)

// microservicesDemoTest is the KluctlDeployment of the bug report: the test
// target of the microservices demo, deployed from a GitRepository.
const microservicesDemoTest = `
apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: microservices-demo-test
spec:
  interval: 5m
  path: "./microservices-demo/3-templating-and-multi-env/"
  sourceRef:
    kind: GitRepository
    name: microservices-demo
  timeout: 2m
  target: test
  prune: true
  renameContexts:
    - oldContext: default
      newContext: kind-kind
`

// microservicesDemoMulti is the KluctlMultiDeployment example of the
// original documentation.
const microservicesDemoMulti = `
apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlMultiDeployment
metadata:
  name: microservices-demo-multi
spec:
  interval: 5m
  path: "./microservices-demo/3-templating-and-multi-env/"
  sourceRef:
    kind: GitRepository
    name: microservices-demo
  targetPattern: local|test|feature-.*
  template:
    spec:
      interval: 5m
      timeout: 2m
      prune: true
      renameContexts:
        - oldContext: default
          newContext: kind-kind
`

// everyField uses every spec field of the v0.5 KluctlDeployment.
const everyField = `
apiVersion: flux.kluctl.io/v1alpha1
kind: KluctlDeployment
metadata:
  name: every-field
  namespace: flux-system
spec:
  dependsOn:
    - name: infra
      namespace: flux-system
  path: deploy
  sourceRef:
    apiVersion: source.toolkit.fluxcd.io/v1beta2
    kind: Bucket
    name: projects
    namespace: sources
  suspend: true
  interval: 10m
  retryInterval: 1m
  timeout: 5m
  registrySecrets:
    - name: registry
  serviceAccountName: deployer
  kubeConfig:
    secretRef:
      name: prod-kubeconfig
      key: config
  renameContexts:
    - oldContext: default
      newContext: prod
  args:
    env: prod
    replicas: 3
  updateImages: true
  images:
    - image: nginx
      resultImage: nginx:1.25
      deployment: Deployment/web
      container: web
      object:
        kind: Deployment
        name: web
  dryRun: true
  noWait: true
  forceApply: true
  replaceOnError: true
  forceReplaceOnError: true
  abortOnError: true
  includeTags: [a]
  excludeTags: [b]
  includeDeploymentDirs: [c]
  excludeDeploymentDirs: [d]
  deployMode: poke-images
  prune: true
  deployInterval: 1h
  validateInterval: 2m
  target: prod
`

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func ptr[T any](v T) *T { return &v }

func TestDecodeKluctlDeployment(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     v1alpha1.KluctlDeployment
	}{
		{
			name:     "issue manifest",
			manifest: microservicesDemoTest,
			want: v1alpha1.KluctlDeployment{
				TypeMeta:   metav1.TypeMeta{APIVersion: "flux.kluctl.io/v1alpha1", Kind: "KluctlDeployment"},
				ObjectMeta: metav1.ObjectMeta{Name: "microservices-demo-test"},
				Spec: v1alpha1.KluctlDeploymentSpec{
					KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
						Path:      "./microservices-demo/3-templating-and-multi-env/",
						SourceRef: v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "microservices-demo"},
					},
					KluctlDeploymentTemplateSpec: v1alpha1.KluctlDeploymentTemplateSpec{
						KluctlTimingSpec: v1alpha1.KluctlTimingSpec{
							Interval: metav1.Duration{Duration: 5 * time.Minute},
							Timeout:  dur(2 * time.Minute),
						},
						RenameContexts: []v1alpha1.RenameContext{{OldContext: "default", NewContext: "kind-kind"}},
						Prune:          true,
					},
					Target: "test",
				},
			},
		},
		{
			name:     "every field",
			manifest: everyField,
			want: v1alpha1.KluctlDeployment{
				TypeMeta:   metav1.TypeMeta{APIVersion: "flux.kluctl.io/v1alpha1", Kind: "KluctlDeployment"},
				ObjectMeta: metav1.ObjectMeta{Name: "every-field", Namespace: "flux-system"},
				Spec: v1alpha1.KluctlDeploymentSpec{
					KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
						DependsOn: []v1alpha1.NamespacedObjectReference{{Name: "infra", Namespace: "flux-system"}},
						Path:      "deploy",
						SourceRef: v1alpha1.CrossNamespaceSourceReference{
							APIVersion: "source.toolkit.fluxcd.io/v1beta2", Kind: "Bucket", Name: "projects", Namespace: "sources",
						},
						Suspend: true,
					},
					KluctlDeploymentTemplateSpec: v1alpha1.KluctlDeploymentTemplateSpec{
						KluctlTimingSpec: v1alpha1.KluctlTimingSpec{
							Interval:      metav1.Duration{Duration: 10 * time.Minute},
							RetryInterval: dur(time.Minute),
							Timeout:       dur(5 * time.Minute),
						},
						RegistrySecrets:    []v1alpha1.LocalObjectReference{{Name: "registry"}},
						ServiceAccountName: "deployer",
						KubeConfig:         &v1alpha1.KubeConfig{SecretRef: v1alpha1.SecretKeyReference{Name: "prod-kubeconfig", Key: "config"}},
						RenameContexts:     []v1alpha1.RenameContext{{OldContext: "default", NewContext: "prod"}},
						Args:               &runtime.RawExtension{Raw: []byte(`{"env":"prod","replicas":3}`)},
						UpdateImages:       true,
						Images: []v1alpha1.FixedImage{{
							Image: "nginx", ResultImage: "nginx:1.25",
							Deployment: ptr("Deployment/web"), Container: ptr("web"),
							Object: &v1alpha1.ObjectRef{Kind: "Deployment", Name: "web"},
						}},
						DryRun:                true,
						NoWait:                true,
						ForceApply:            true,
						ReplaceOnError:        true,
						ForceReplaceOnError:   true,
						AbortOnError:          true,
						IncludeTags:           []string{"a"},
						ExcludeTags:           []string{"b"},
						IncludeDeploymentDirs: []string{"c"},
						ExcludeDeploymentDirs: []string{"d"},
						DeployMode:            v1alpha1.KluctlDeployPokeImages,
						Prune:                 true,
						DeployInterval:        dur(time.Hour),
						ValidateInterval:      dur(2 * time.Minute),
					},
					Target: "prod",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got v1alpha1.KluctlDeployment
			if err := yaml.UnmarshalStrict([]byte(tt.manifest), &got); err != nil {
				t.Fatalf("strict decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decoded KluctlDeployment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeKluctlMultiDeployment(t *testing.T) {
	var got v1alpha1.KluctlMultiDeployment
	if err := yaml.UnmarshalStrict([]byte(microservicesDemoMulti), &got); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	want := v1alpha1.KluctlMultiDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "flux.kluctl.io/v1alpha1", Kind: "KluctlMultiDeployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "microservices-demo-multi"},
		Spec: v1alpha1.KluctlMultiDeploymentSpec{
			KluctlProjectSpec: v1alpha1.KluctlProjectSpec{
				Path:      "./microservices-demo/3-templating-and-multi-env/",
				SourceRef: v1alpha1.CrossNamespaceSourceReference{Kind: "GitRepository", Name: "microservices-demo"},
			},
			KluctlTimingSpec: v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: 5 * time.Minute}},
			TargetPattern:    "local|test|feature-.*",
			Template: v1alpha1.KluctlMultiDeploymentTemplate{
				Spec: v1alpha1.KluctlDeploymentTemplateSpec{
					KluctlTimingSpec: v1alpha1.KluctlTimingSpec{
						Interval: metav1.Duration{Duration: 5 * time.Minute},
						Timeout:  dur(2 * time.Minute),
					},
					RenameContexts: []v1alpha1.RenameContext{{OldContext: "default", NewContext: "kind-kind"}},
					Prune:          true,
				},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded KluctlMultiDeployment (-want +got):\n%s", diff)
	}
}

// TestDecodeKluctlMultiDeploymentTemplateMetadata: labels and annotations
// sit next to spec in the template, where the original inlined its
// ObjectMeta.
func TestDecodeKluctlMultiDeploymentTemplateMetadata(t *testing.T) {
	manifest := strings.Replace(microservicesDemoMulti, "  template:\n", "  template:\n    labels:\n      team: shop\n    annotations:\n      example.com/owner: ops\n", 1)
	var got v1alpha1.KluctlMultiDeployment
	if err := yaml.UnmarshalStrict([]byte(manifest), &got); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"team": "shop"}, got.Spec.Template.Labels); diff != "" {
		t.Errorf("template labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"example.com/owner": "ops"}, got.Spec.Template.Annotations); diff != "" {
		t.Errorf("template annotations (-want +got):\n%s", diff)
	}
}

func TestDecodeRejectsUnknownFields(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		into     any
		field    string
	}{
		{
			name:     "unknown spec field",
			manifest: strings.Replace(microservicesDemoTest, "  prune: true", "  prune: true\n  pruneAll: true", 1),
			into:     &v1alpha1.KluctlDeployment{},
			field:    "pruneAll",
		},
		{
			name:     "v1beta1 source instead of sourceRef",
			manifest: strings.Replace(microservicesDemoTest, "  target: test", "  target: test\n  source:\n    url: https://example.com/repo.git", 1),
			into:     &v1alpha1.KluctlDeployment{},
			field:    "source",
		},
		{
			name:     "target inside a multi deployment template",
			manifest: strings.Replace(microservicesDemoMulti, "      prune: true", "      prune: true\n      target: test", 1),
			into:     &v1alpha1.KluctlMultiDeployment{},
			field:    "target",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := yaml.UnmarshalStrict([]byte(tt.manifest), tt.into)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("strict decode error = %v, want one naming %q", err, tt.field)
			}
		})
	}
}

func TestTimingDefaults(t *testing.T) {
	tests := []struct {
		name        string
		timing      v1alpha1.KluctlTimingSpec
		wantTimeout time.Duration
		wantRetry   time.Duration
	}{
		{
			name:        "interval only",
			timing:      v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: 5 * time.Minute}},
			wantTimeout: 4*time.Minute + 30*time.Second,
			wantRetry:   5 * time.Minute,
		},
		{
			name:        "short interval keeps the 30s floor",
			timing:      v1alpha1.KluctlTimingSpec{Interval: metav1.Duration{Duration: 40 * time.Second}},
			wantTimeout: 30 * time.Second,
			wantRetry:   40 * time.Second,
		},
		{
			name: "explicit timeout and retry interval",
			timing: v1alpha1.KluctlTimingSpec{
				Interval: metav1.Duration{Duration: 5 * time.Minute}, Timeout: dur(2 * time.Minute), RetryInterval: dur(time.Minute),
			},
			wantTimeout: 2 * time.Minute,
			wantRetry:   time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.timing.GetTimeout(); got != tt.wantTimeout {
				t.Errorf("GetTimeout() = %v, want %v", got, tt.wantTimeout)
			}
			if got := tt.timing.GetRetryInterval(); got != tt.wantRetry {
				t.Errorf("GetRetryInterval() = %v, want %v", got, tt.wantRetry)
			}
		})
	}
}

func TestTemplateDefaults(t *testing.T) {
	var spec v1alpha1.KluctlDeploymentTemplateSpec
	if got := spec.GetValidateInterval(); got != 5*time.Minute {
		t.Errorf("GetValidateInterval() = %v, want 5m", got)
	}
	if got := spec.GetDeployMode(); got != v1alpha1.KluctlDeployModeFull {
		t.Errorf("GetDeployMode() = %q, want %q", got, v1alpha1.KluctlDeployModeFull)
	}
}

func TestSchemeRegistersBothKinds(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"KluctlDeployment", "KluctlDeploymentList", "KluctlMultiDeployment", "KluctlMultiDeploymentList"} {
		if !s.Recognizes(v1alpha1.GroupVersion.WithKind(kind)) {
			t.Errorf("scheme does not know %s", kind)
		}
	}
}
