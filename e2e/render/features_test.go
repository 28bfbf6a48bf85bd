package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kluctl-go/kluctl/e2e/kluctltest"
)

// renderProject renders files with args and returns the objects by key.
func renderProject(t *testing.T, files map[string]string, env []string, args ...string) map[string]map[string]any {
	t.Helper()
	dir := kluctltest.WriteProject(t, files)
	full := append([]string{"render", "--project-dir", dir, "--offline-kubernetes", "--print-all"}, args...)
	res := kluctltest.Run(t, env, full...)
	if res.Code != 0 {
		t.Fatalf("render failed (exit %d): %s", res.Code, res.Stderr)
	}
	return parseObjects(t, []byte(res.Stdout))
}

func cmData(t *testing.T, objs map[string]map[string]any, ns, name string) map[string]any {
	t.Helper()
	o, ok := objs["v1/ConfigMap/"+ns+"/"+name]
	if !ok {
		t.Fatalf("ConfigMap %s/%s not rendered; have %v", ns, name, objKeys(objs))
	}
	d, _ := o["data"].(map[string]any)
	return d
}

func objKeys(objs map[string]map[string]any) []string {
	var out []string
	for k := range objs {
		out = append(out, k)
	}
	return out
}

func meta(o map[string]any, field string) map[string]any {
	md, _ := o["metadata"].(map[string]any)
	m, _ := md[field].(map[string]any)
	return m
}

func TestRenderVarsSources(t *testing.T) {
	files := map[string]string{
		".kluctl.yaml": `discriminator: feat-{{ target.name }}
targets:
  - name: dev
    args:
      env: dev
      nested:
        a: from-target
args:
  - name: env
  - name: replicas
    default: 2
  - name: nested
    default:
      a: default-a
      b: default-b
`,
		"deployment.yaml": `vars:
  - file: vars/common.yaml
  - file: vars/{{ args.env }}.yaml
  - file: vars/missing.yaml
    ignoreMissing: true
  - values:
      common:
        team: defaulted
      onlyDefault: kept
    noOverride: true
  - values:
      skipped: true
    when: args.env == "prod"
  - file: vars/answer.yaml
    targetPath: answer.value
  - systemEnvVars:
      fromEnv: KLUCTL_TEST_VAR
      withDefault: KLUCTL_TEST_UNSET:fallback
deployments:
  - path: app
    vars:
      - values:
          itemOnly: yes-item
`,
		"vars/answer.yaml": "42\n",
		"vars/common.yaml": "common:\n  team: platform\n  port: 8080\n",
		"vars/dev.yaml":    "envcfg:\n  domain: dev.example.com\n  derived: \"{{ common.team }}-dev\"\n",
		"app/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: vars
  namespace: default
data:
  team: "{{ common.team }}"
  port: "{{ common.port }}"
  domain: "{{ envcfg.domain }}"
  derived: "{{ envcfg.derived }}"
  onlyDefault: "{{ onlyDefault }}"
  skipped: "{{ skipped is defined }}"
  answer: "{{ answer.value }}"
  fromEnv: "{{ fromEnv }}"
  withDefault: "{{ withDefault }}"
  itemOnly: "{{ itemOnly }}"
  replicas: "{{ args.replicas }}"
  nestedA: "{{ args.nested.a }}"
  nestedB: "{{ args.nested.b }}"
  cli: "{{ args.cli.flag }}"
  target: "{{ target.name }}"
`,
	}
	objs := renderProject(t, files, []string{"KLUCTL_TEST_VAR=hello"}, "-t", "dev", "-a", "cli.flag=true")
	got := cmData(t, objs, "default", "vars")
	want := map[string]any{
		"team": "platform", "port": "8080", "domain": "dev.example.com", "derived": "platform-dev",
		"onlyDefault": "kept", "skipped": "False", "answer": "42", "fromEnv": "hello",
		"withDefault": "fallback", "itemOnly": "yes-item", "replicas": "2", "nestedA": "from-target",
		"nestedB": "default-b", "cli": "True", "target": "dev",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
}

func TestRenderTagsLabelsAndNamespace(t *testing.T) {
	files := map[string]string{
		".kluctl.yaml": "discriminator: d-{{ target.name }}\ntargets:\n  - name: t1\n",
		"deployment.yaml": `commonLabels:
  root.example.com/label: root
  shared.example.com/label: from-root
commonAnnotations:
  root.example.com/anno: r
overrideNamespace: ns-{{ target.name }}
tags: [project-tag]
deployments:
  - include: sub
    tags: [inc-tag]
  - path: plain
    skipDeleteIfTags: true
`,
		"sub/deployment.yaml": `commonLabels:
  shared.example.com/label: from-sub
deployments:
  - path: inner
`,
		"sub/inner/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inner\ndata: {}\n",
		"plain/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: explicit\ndata: {}\n",
	}
	objs := renderProject(t, files, nil, "-t", "t1")
	inner := objs["v1/ConfigMap/ns-t1/inner"]
	if inner == nil {
		t.Fatalf("inner ConfigMap not rendered into overrideNamespace; have %v", objKeys(objs))
	}
	wantLabels := map[string]any{
		"root.example.com/label": "root", "shared.example.com/label": "from-sub",
		"kluctl.io/discriminator": "d-t1",
		"kluctl.io/tag-0":         "inc-tag", "kluctl.io/tag-1": "project-tag", "kluctl.io/tag-2": "inner",
	}
	if diff := cmp.Diff(wantLabels, meta(inner, "labels")); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if got := meta(inner, "annotations")["kluctl.io/deployment-item-dir"]; got != "sub/inner" {
		t.Errorf("deployment-item-dir = %v, want sub/inner", got)
	}
	// As in Kustomize (and the original), overrideNamespace becomes the
	// kustomization's namespace, which also replaces explicit namespaces.
	plain := objs["v1/ConfigMap/ns-t1/plain"]
	if plain == nil {
		t.Fatalf("plain ConfigMap should be moved to the override namespace; have %v", objKeys(objs))
	}
	if got := meta(plain, "annotations")["kluctl.io/skip-delete-if-tags"]; got != "true" {
		t.Errorf("skip-delete-if-tags = %v", got)
	}

	only := renderProject(t, files, nil, "-t", "t1", "-I", "inner")
	if len(only) != 1 || only["v1/ConfigMap/ns-t1/inner"] == nil {
		t.Errorf("-I inner should render only the inner item, got %v", objKeys(only))
	}
	excluded := renderProject(t, files, nil, "-t", "t1", "-E", "inc-tag")
	if len(excluded) != 1 || excluded["v1/ConfigMap/ns-t1/plain"] == nil {
		t.Errorf("-E inc-tag should exclude the include, got %v", objKeys(excluded))
	}
	byDir := renderProject(t, files, nil, "-t", "t1", "--exclude-deployment-dir", "plain")
	if len(byDir) != 1 || byDir["v1/ConfigMap/ns-t1/inner"] == nil {
		t.Errorf("--exclude-deployment-dir plain, got %v", objKeys(byDir))
	}
}

func TestRenderConditionsTemplateIgnoreAndOnlyRender(t *testing.T) {
	files := map[string]string{
		"deployment.yaml": `vars:
  - values:
      enabled: false
deployments:
  - path: active
  - path: inactive
    when: enabled
  - path: component
    onlyRender: true
`,
		"active/cm.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: active\n  namespace: default\ndata:\n  raw: \"{{ 'rendered' }}\"\n",
		"active/raw.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\n  namespace: default\ndata:\n  gotpl: \"{{ .Values.x }}\"\n",
		"active/.templateignore": "raw.yaml\n",
		"inactive/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inactive\n  namespace: default\n",
		"component/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: component\n  namespace: default\n",
	}
	objs := renderProject(t, files, nil)
	if cmData(t, objs, "default", "active")["raw"] != "rendered" {
		t.Errorf("active/cm.yaml not rendered as template")
	}
	if cmData(t, objs, "default", "raw")["gotpl"] != "{{ .Values.x }}" {
		t.Errorf(".templateignore'd file was templated")
	}
	if objs["v1/ConfigMap/default/inactive"] != nil || objs["v1/ConfigMap/default/component"] != nil {
		t.Errorf("when=false and onlyRender items must not be output: %v", objKeys(objs))
	}
}

func TestRenderWithoutDeploymentYaml(t *testing.T) {
	files := map[string]string{
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: single\n  namespace: default\ndata:\n  a: \"{{ 1 + 1 }}\"\n",
	}
	objs := renderProject(t, files, nil)
	if cmData(t, objs, "default", "single")["a"] != "2" {
		t.Errorf("root folder without deployment.yaml should render as one Kustomize item: %v", objKeys(objs))
	}
}

func TestRenderOutputDirAndTargetRequired(t *testing.T) {
	dir := kluctltest.WriteProject(t, map[string]string{
		".kluctl.yaml":    okKluctl,
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/cm.yaml":     okConfigMap,
	})
	res := kluctltest.Run(t, nil, "render", "--project-dir", dir, "--offline-kubernetes")
	if res.Code == 0 || !contains(res.Stderr, "-t/--target") || !contains(res.Stderr, "dev") {
		t.Errorf("without -t: want an error listing targets, got exit %d: %s", res.Code, res.Stderr)
	}
	out := filepath.Join(t.TempDir(), "rendered")
	res = kluctltest.Run(t, nil, "render", "--project-dir", dir, "--offline-kubernetes", "-t", "dev", "--render-output-dir", out)
	if res.Code != 0 {
		t.Fatalf("render: %s", res.Stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "app", "cm.yaml"))
	if err != nil || !contains(string(b), `env: "dev"`) {
		t.Errorf("rendered file in output dir: %q, %v", b, err)
	}

	res = kluctltest.Run(t, nil, "list-targets", "--project-dir", dir)
	if res.Code != 0 || !contains(res.Stdout, "name: dev") {
		t.Errorf("list-targets: exit %d, %s %s", res.Code, res.Stdout, res.Stderr)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRenderArgsFromFilesAndTargetTemplating(t *testing.T) {
	files := map[string]string{
		".kluctl.yml": `discriminator: "{{ target.name }}-{{ args.env }}"
targets:
  - name: base
    context: ctx-{{ args.env }}
    args:
      env: staging
      region: "{{ args.env }}-region"
args:
  - name: env
  - name: region
  - name: fromfile
    default: none
  - name: complex
    default: {}
`,
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: args
  namespace: default
data:
  target: "{{ target.name }}"
  context: "{{ target.context }}"
  region: "{{ args.region }}"
  fromfile: "{{ args.fromfile }}"
  complex: "{{ args.complex.list | join(',') }}"
  disc: "{{ target.discriminator }}"
`,
		"args.yaml":    "fromfile: loaded\n",
		"complex.yaml": "list: [a, b]\n",
	}
	dir := kluctltest.WriteProject(t, files)
	res := kluctltest.Run(t, nil, "render", "--project-dir", dir, "--offline-kubernetes", "--print-all",
		"-t", "base", "-T", "renamed", "--args-from-file", filepath.Join(dir, "args.yaml"), "-a", "complex=@"+filepath.Join(dir, "complex.yaml"))
	if res.Code != 0 {
		t.Fatalf("render: %s", res.Stderr)
	}
	got := cmData(t, parseObjects(t, []byte(res.Stdout)), "default", "args")
	want := map[string]any{"target": "renamed", "context": "ctx-staging", "region": "staging-region", "fromfile": "loaded", "complex": "a,b", "disc": "renamed-staging"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRenderImagesGetImage(t *testing.T) {
	files := map[string]string{
		".kluctl.yaml": `targets:
  - name: t
    images:
      - image: registry.example.com/app
        resultImage: registry.example.com/app:1.0
      - image: registry.example.com/app
        container: sidecar
        resultImage: registry.example.com/app:sidecar
`,
		"deployment.yaml": "deployments:\n  - path: app\n",
		"app/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: default
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: main
          image: "{{ images.get_image('registry.example.com/app') }}"
        - name: sidecar
          image: "{{ images.get_image('registry.example.com/app') }}"
`,
	}
	images := func(objs map[string]map[string]any) []string {
		d := objs["apps/v1/Deployment/default/app"]
		spec := d["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		var out []string
		for _, c := range spec["containers"].([]any) {
			out = append(out, c.(map[string]any)["image"].(string))
		}
		return out
	}
	got := images(renderProject(t, files, nil, "-t", "t"))
	if diff := cmp.Diff([]string{"registry.example.com/app:1.0", "registry.example.com/app:sidecar"}, got); diff != "" {
		t.Errorf("target images (-want +got):\n%s", diff)
	}
	got = images(renderProject(t, files, nil, "-t", "t", "-F", "registry.example.com/app:default:Deployment/app:main=registry.example.com/app:2.0"))
	if diff := cmp.Diff([]string{"registry.example.com/app:2.0", "registry.example.com/app:sidecar"}, got); diff != "" {
		t.Errorf("--fixed-image (-want +got):\n%s", diff)
	}
	files[".kluctl.yaml"] = "targets:\n  - name: t\n"
	dir := kluctltest.WriteProject(t, files)
	res := kluctltest.Run(t, nil, "render", "--project-dir", dir, "-t", "t", "--offline-kubernetes", "--print-all")
	if res.Code == 0 || !strings.Contains(res.Stderr, "failed to find fixed image for registry.example.com/app") {
		t.Errorf("missing fixed image must fail clearly: exit %d %s", res.Code, res.Stderr)
	}
}
