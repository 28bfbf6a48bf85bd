package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

const demoImages = "gcr.io/google-samples/microservices-demo/"

// imagesDemoProject is the demo with the images of frontend and
// cartservice taken from images.get_image(), pinned to the demo's
// versions by target local, and the frontend's replicas a var.
func imagesDemoProject(t *testing.T) string {
	dir := demoProject(t)
	for _, svc := range []string{"frontend", "cartservice"} {
		p := filepath.Join(dir, "services", svc, "deployment.yml")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "image: "+demoImages+svc+":v0.3.6", `image: {{ images.get_image("`+demoImages+svc+`") }}`, 1)
		if svc == "frontend" {
			s = strings.Replace(s, "spec:\n  selector:", "spec:\n  replicas: {{ frontend.replicas }}\n  selector:", 1)
		}
		writeFile(t, p, s)
	}
	cfg := filepath.Join(dir, ".kluctl.yml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	local := "  - name: local\n    context: kind-kind\n    args:\n      env_type: local\n"
	if !strings.Contains(string(b), local) {
		t.Fatalf("target local not found in %s", b)
	}
	images := "    images:\n" +
		"      - image: " + demoImages + "frontend\n        resultImage: " + demoImages + "frontend:v0.3.6\n" +
		"      - image: " + demoImages + "cartservice\n        resultImage: " + demoImages + "cartservice:v0.3.6\n"
	writeFile(t, cfg, strings.Replace(string(b), local, local+images, 1))
	for _, v := range []string{"local.yml", "real.yml"} {
		p := filepath.Join(dir, "vars", v)
		vb, _ := os.ReadFile(p)
		writeFile(t, p, string(vb)+"\nfrontend:\n  replicas: 1\n")
	}
	return dir
}

// seenImageYAML is one entry of list-images as the original writes it:
// keys sorted, the object reference in the original's form.
func seenImageYAML(svc, ns, result, deployed string) string {
	s := "- container: server\n" +
		"  deployTags:\n  - services\n  - " + svc + "\n"
	if deployed != "" {
		s += "  deployedImage: " + deployed + "\n"
	}
	return s + "  deployment: Deployment/" + svc + "\n" +
		"  deploymentDir: microservices-demo/3-templating-and-multi-env/services/" + svc + "\n" +
		"  image: " + demoImages + svc + "\n" +
		"  namespace: " + ns + "\n" +
		"  object:\n    group: apps\n    kind: Deployment\n    name: " + svc + "\n    namespace: " + ns + "\n    version: v1\n" +
		"  resultImage: " + result + "\n"
}

// TestListImagesOfTheDemo lists the images the demo asks images.get_image()
// for: offline in the original's fixed-images layout (also --simple and
// into files), online with the image deployed in the cluster.
func TestListImagesOfTheDemo(t *testing.T) {
	e := newEnv(t)
	dir := imagesDemoProject(t)
	ns := "ms-demo-images-demo"
	base := []string{"--project-dir", dir, "-t", "local", "-T", "images-demo"}
	run := func(args ...string) string {
		t.Helper()
		res := e.kluctl(append(append([]string{}, args...), base...)...)
		if res.Code != 0 {
			t.Fatalf("kluctl %v: exit %d\n%s", args, res.Code, res.Stderr)
		}
		return res.Stdout
	}

	out := run("list-images", "--offline-kubernetes")
	want := "images:\n" +
		seenImageYAML("cartservice", ns, demoImages+"cartservice:v0.3.6", "") +
		seenImageYAML("frontend", ns, demoImages+"frontend:v0.3.6", "")
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("list-images (-want +got):\n%s", diff)
	}

	file := filepath.Join(t.TempDir(), "images.yaml")
	out = run("list-images", "--offline-kubernetes", "--simple", "-F", demoImages+"frontend="+demoImages+"frontend:v0.4.0", "-o", file, "-o", "-")
	want = "images:\n" +
		"- image: " + demoImages + "cartservice\n  resultImage: " + demoImages + "cartservice:v0.3.6\n" +
		"- image: " + demoImages + "frontend\n  resultImage: " + demoImages + "frontend:v0.4.0\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("list-images --simple -F (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != want {
		t.Errorf("-o %s: %q, %v", file, b, err)
	}
	// The simple list is a fixed images file.
	out = run("list-images", "--offline-kubernetes", "--simple", "--fixed-images-file", file)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("list-images --fixed-images-file (-want +got):\n%s", diff)
	}

	// Online, deployed objects carry the image found in the cluster.
	e.mustJSON(append([]string{"deploy", "--yes", "--no-wait", "-E", "cartservice"}, base...)...)
	out = run("list-images", "-F", demoImages+"frontend="+demoImages+"frontend:v0.4.0")
	want = "images:\n" +
		seenImageYAML("cartservice", ns, demoImages+"cartservice:v0.3.6", "") +
		seenImageYAML("frontend", ns, demoImages+"frontend:v0.4.0", demoImages+"frontend:v0.3.6")
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("online list-images (-want +got):\n%s", diff)
	}

	// No get_image at all: an empty list, as the original prints it.
	plain := demoProject(t)
	res := e.kluctl("list-images", "--project-dir", plain, "-t", "local", "--offline-kubernetes")
	if res.Code != 0 || res.Stdout != "{}\n" {
		t.Errorf("list-images without images: exit %d %q\n%s", res.Code, res.Stdout, res.Stderr)
	}
}

// TestPokeImagesOfTheDemo deploys the demo without cartservice, changes
// the frontend's replicas in the project and pokes new images: only the
// frontend's image changes in the cluster, its replicas stay, and the
// cartservice that was never deployed is left alone.
func TestPokeImagesOfTheDemo(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := imagesDemoProject(t)
	ns := "ms-demo-poke-demo"
	base := []string{"--project-dir", dir, "-t", "local", "-T", "poke-demo"}
	args := func(cmd string, extra ...string) []string { return append(append([]string{cmd}, base...), extra...) }
	newImages := []string{
		"-F", demoImages + "frontend=" + demoImages + "frontend:v0.4.0",
		"-F", demoImages + "cartservice=" + demoImages + "cartservice:v0.4.0",
	}

	first := e.mustJSON(args("deploy", "--yes", "--no-wait", "-E", "cartservice")...)
	if len(first.Errors) != 0 || len(first.NewObjects) < 10 {
		t.Fatalf("first deploy: new %d errors %v", len(first.NewObjects), first.Errors)
	}
	before, err := e.cs.AppsV1().Deployments(ns).Get(ctx, "frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	varsFile := filepath.Join(dir, "vars", "local.yml")
	vb, _ := os.ReadFile(varsFile)
	writeFile(t, varsFile, strings.Replace(string(vb), "replicas: 1", "replicas: 3", 1))

	// Without a terminal and --yes nothing is poked.
	res := e.kluctl(args("poke-images", newImages...)...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "--yes") {
		t.Fatalf("poke-images without terminal and --yes must refuse: exit %d\n%s", res.Code, res.Stderr)
	}
	// Answering no shows what would change and aborts.
	res = kluctltest.RunTTY(t, e.env, "n\n", append(args("poke-images", newImages...), "--context", e.c.Context())...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "Do you really want to poke images") || !strings.Contains(res.Stderr, "frontend:v0.4.0") {
		t.Fatalf("answering no must show the change and abort: exit %d\n%s", res.Code, res.Stderr)
	}
	dry := e.mustJSON(args("poke-images", append(newImages, "--dry-run")...)...)
	if got := refNames(dry.ChangedObjects); len(got) != 1 || got[0] != ns+"/apps/Deployment/frontend" {
		t.Errorf("dry-run changes: %v", got)
	}
	if d, _ := e.cs.AppsV1().Deployments(ns).Get(ctx, "frontend", metav1.GetOptions{}); d.Spec.Template.Spec.Containers[0].Image != demoImages+"frontend:v0.3.6" {
		t.Fatalf("refused, aborted or dry-run poke changed the image: %s", d.Spec.Template.Spec.Containers[0].Image)
	}

	out := e.kluctl(args("poke-images", append(newImages, "--yes", "-o", "yaml")...)...)
	if out.Code != 0 {
		t.Fatalf("poke-images: exit %d\n%s", out.Code, out.Stderr)
	}
	doc := kluctltest.DecodeDocument(t, out.Stdout)
	if doc.Command.Command != "poke-images" || doc.Command.DryRun {
		t.Errorf("result command: %+v", doc.Command)
	}
	var changed []string
	for _, o := range doc.Objects {
		if o.New {
			t.Errorf("poke-images created %s", o.Ref)
		}
		if len(o.Changes) == 0 {
			continue
		}
		changed = append(changed, o.Ref.String())
		if len(o.Changes) != 1 || o.Changes[0].JSONPath != "spec.template.spec.containers[0].image" {
			t.Errorf("changes of %s: %+v", o.Ref, o.Changes)
		}
	}
	if len(changed) != 1 || changed[0] != ns+"/apps/Deployment/frontend" {
		t.Errorf("changed objects: %v", changed)
	}
	var skipped bool
	for _, w := range doc.Warnings {
		if w.Ref.Name == "cartservice" && w.Ref.Kind == "Deployment" && strings.Contains(w.Message, "remote object not found, skipped image replacement") {
			skipped = true
		}
	}
	if !skipped || len(doc.Errors) != 0 {
		t.Errorf("warnings %+v, errors %+v: want the not deployed cartservice skipped", doc.Warnings, doc.Errors)
	}
	var deployed int
	for _, fi := range doc.SeenImages {
		if fi.Image != nil && *fi.Image == demoImages+"frontend" && fi.DeployedImage != nil && *fi.DeployedImage == demoImages+"frontend:v0.3.6" && fi.ResultImage == demoImages+"frontend:v0.4.0" {
			deployed++
		}
	}
	if len(doc.SeenImages) != 2 || deployed != 1 {
		t.Errorf("seen images: %+v", doc.SeenImages)
	}

	after, err := e.cs.AppsV1().Deployments(ns).Get(ctx, "frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := after.Spec.Template.Spec.Containers[0].Image; got != demoImages+"frontend:v0.4.0" {
		t.Errorf("frontend image after poke: %s", got)
	}
	if *after.Spec.Replicas != *before.Spec.Replicas || *after.Spec.Replicas != 1 {
		t.Errorf("poke-images changed the replicas: %d -> %d", *before.Spec.Replicas, *after.Spec.Replicas)
	}
	// Everything but the image is as deployed.
	after.Spec.Template.Spec.Containers[0].Image = before.Spec.Template.Spec.Containers[0].Image
	if diff := cmp.Diff(before.Spec, after.Spec); diff != "" {
		t.Errorf("poke-images changed more than the image (-before +after):\n%s", diff)
	}
	if _, err := e.cs.AppsV1().Deployments(ns).Get(ctx, "cartservice", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("cartservice must stay undeployed: %v", err)
	}

	// Poking again changes nothing; a deploy then brings the replicas.
	again := e.mustJSON(args("poke-images", append(newImages, "--yes")...)...)
	if len(again.ChangedObjects)+len(again.NewObjects)+len(again.Errors) != 0 {
		t.Errorf("second poke: changed %v new %v errors %v", refNames(again.ChangedObjects), again.NewObjects, again.Errors)
	}
	d := e.mustJSON(args("diff", newImages...)...)
	var fields []string
	for _, c := range d.ChangedObjects {
		for _, ch := range c.Changes {
			fields = append(fields, c.Ref.Name+" "+ch.JSONPath)
		}
	}
	if diff := cmp.Diff([]string{"frontend spec.replicas"}, fields); diff != "" {
		t.Errorf("diff after poke (-want +got):\n%s", diff)
	}
}
