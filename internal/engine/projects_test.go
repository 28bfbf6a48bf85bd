package engine_test

import (
	"fmt"
	"strings"
)

// testProject returns the files of the i-th project of the concurrency
// test: each has its own namespace, discriminator, args, vars and number
// of objects; every project patches a Deployment with kustomize (built on
// disk), even projects add a Service, project 3 renders a local Helm chart.
func testProject(i int, ns string) map[string]string {
	files := map[string]string{
		".kluctl.yaml": fmt.Sprintf(`discriminator: "eng-{{ target.name }}-%d"
targets:
  - name: t
    args:
      replicas: %d
      ns: %s
`, i, i%3+1, ns),
		"deployment.yaml": `vars:
  - values:
      greeting: hello-{{ args.ns }}
deployments:
  - path: configs
  - path: patched
`,
		"configs/cms.yaml": `{% for n in range(args.replicas + 2) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ n }}
  namespace: {{ args.ns }}
data:
  greeting: "{{ greeting }}"
  index: "{{ n }}"
{% endfor %}
`,
		"patched/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: {{ args.ns }}
spec:
  replicas: 1
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
        - name: main
          image: registry.example/app:1
        - name: sidecar
          image: registry.example/sidecar:1
`,
		"patched/kustomization.yaml": "resources:\n  - deployment.yaml\npatches:\n  - path: patch.yaml\n",
		"patched/patch.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: {{ args.ns }}
spec:
  replicas: {{ args.replicas }}
  template:
    spec:
      containers:
        - name: main
          image: registry.example/app:{{ args.replicas }}
`,
	}
	if i%2 == 0 {
		files["patched/service.yaml"] = `apiVersion: v1
kind: Service
metadata:
  name: app
  namespace: {{ args.ns }}
spec:
  selector: {app: app}
  ports:
    - port: 80
`
		files["patched/kustomization.yaml"] = strings.Replace(files["patched/kustomization.yaml"], "  - deployment.yaml\n", "  - deployment.yaml\n  - service.yaml\n", 1)
	}
	if i == 3 {
		files["deployment.yaml"] += "  - path: chart\n"
		files["chart/helm-chart.yaml"] = "helmChart:\n  path: ../charts/demo\n  releaseName: demo\n  namespace: " + ns + "\n"
		files["chart/helm-values.yaml"] = "size: 3\n"
		files["charts/demo/Chart.yaml"] = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
		files["charts/demo/templates/cm.yaml"] = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-chart
data:
  size: "{{ .Values.size }}"
`
	}
	return files
}
