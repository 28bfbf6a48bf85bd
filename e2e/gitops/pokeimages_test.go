package gitops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/api/v1beta1"
	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

const frontendImage = "gcr.io/google-samples/microservices-demo/frontend"

// imagesDemoFiles are the demo's files changed so that the frontend's
// image comes from images.get_image() (pinned by target local) and its
// replicas from a var.
func imagesDemoFiles(t *testing.T, replicas string) map[string][]byte {
	src := filepath.Join(kluctltest.SharedDir(t), "examples", filepath.FromSlash(demoPath))
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	replace := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("%q not found", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	fe := read("services/frontend/deployment.yml")
	fe = replace(fe, "image: "+frontendImage+":v0.3.6", `image: {{ images.get_image("`+frontendImage+`") }}`)
	fe = replace(fe, "spec:\n  selector:", "spec:\n  replicas: {{ frontend.replicas }}\n  selector:")
	local := "  - name: local\n    context: kind-kind\n    args:\n      env_type: local\n"
	cfg := replace(read(".kluctl.yml"), local, local+"    images:\n      - image: "+frontendImage+"\n        resultImage: "+frontendImage+":v0.3.6\n")
	return map[string][]byte{
		demoPath + "/services/frontend/deployment.yml": []byte(fe),
		demoPath + "/.kluctl.yml":                      []byte(cfg),
		demoPath + "/vars/local.yml":                   []byte(read("vars/local.yml") + "\nfrontend:\n  replicas: " + replicas + "\n"),
	}
}

// TestGitOpsPokeImages deploys the demo fully, then switches the
// KluctlDeployment to deployMode poke-images with a new fixed image while
// the project changes the frontend's replicas: the controller replaces the
// image only, and drift detection shows the replicas that were not
// deployed.
func TestGitOpsPokeImages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.git.Commit("demo", "main", imagesDemoFiles(t, "1"), "images from get_image"); err != nil {
		t.Fatal(err)
	}
	name, ns := "poke", "ms-demo-poke-demo"
	e.kd(name, "local", func(kd *v1beta1.KluctlDeployment) {
		override := "poke-demo"
		kd.Spec.TargetNameOverride = &override
		kd.Spec.IncludeTags = []string{"namespaces", "frontend"}
		kd.Spec.Validate = false
	})
	e.waitFor(name, "the full deploy", 3*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return kd.Status.LastDeployResult != nil && isReady(kd)
	})
	before, err := e.cs.AppsV1().Deployments(ns).Get(ctx, "frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := before.Spec.Template.Spec.Containers[0].Image; got != frontendImage+":v0.3.6" {
		t.Fatalf("deployed image: %s", got)
	}

	commit, err := e.git.Commit("demo", "main", imagesDemoFiles(t, "3"), "more replicas")
	if err != nil {
		t.Fatal(err)
	}
	newImage := frontendImage + ":v0.4.0"
	e.patch(name, func(kd *v1beta1.KluctlDeployment) {
		kd.Spec.DeployMode = v1beta1.KluctlDeployPokeImages
		img := frontendImage
		kd.Spec.Images = []v1beta1.FixedImage{{Image: &img, ResultImage: newImage}}
	})
	kd := e.waitFor(name, "poke-images of the new commit", 2*time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return deployedCommit(kd) == commit && kd.Status.ObservedGeneration == kd.Generation && isReady(kd)
	})
	after, err := e.cs.AppsV1().Deployments(ns).Get(ctx, "frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := after.Spec.Template.Spec.Containers[0].Image; got != newImage {
		t.Fatalf("image after poke-images: %s (status %s)", got, fmtStatus(kd))
	}
	if *after.Spec.Replicas != 1 {
		t.Errorf("poke-images deployed the replicas: %d", *after.Spec.Replicas)
	}
	after.Spec.Template.Spec.Containers[0].Image = before.Spec.Template.Spec.Containers[0].Image
	if diff := cmp.Diff(before.Spec, after.Spec); diff != "" {
		t.Errorf("poke-images changed more than the image (-before +after):\n%s", diff)
	}
	sum := summaryOf(kd)
	if n, _ := sum["changedObjects"].(float64); n != 1 {
		t.Errorf("last deploy result: %v", sum)
	}
	// The replicas were not deployed: drift detection says so.
	e.waitFor(name, "drift of the replicas", time.Minute, func(kd *v1beta1.KluctlDeployment) bool {
		return strings.Contains(kd.Status.LastDriftDetectionResultMessage, "1 chg")
	})

	// A requested deploy pokes images too.
	r := kluctltest.Run(t, nil, "gitops", "deploy", "-o", "yaml", "--name", name, "-n", e.ns, "--kubeconfig", e.c.KubeconfigPath(), "--timeout", "2m")
	if r.Code != 0 {
		t.Fatalf("gitops deploy: exit %d\n%s", r.Code, r.Stderr)
	}
	doc := kluctltest.DecodeDocument(t, r.Stdout)
	if doc.Command.Command != v1beta1.KluctlDeployPokeImages || len(doc.Errors) != 0 {
		t.Errorf("requested deploy in poke-images mode: command %q errors %v", doc.Command.Command, doc.Errors)
	}
	if d, err := e.cs.AppsV1().Deployments(ns).Get(ctx, "frontend", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 1 {
		t.Errorf("a requested deploy in poke-images mode deployed more than images: %v", err)
	}
}
