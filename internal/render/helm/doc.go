// Package helm renders the Helm charts of a deployment item.
//
// A deployment item folder may hold a helm-chart.yaml (or .yml) that names a
// chart and a helm-values.yaml (or .yml) with its values. After the folder has
// been rendered as Jinja2 templates, LoadConfig reads the rendered
// helm-chart.yaml strictly, LocateChart finds the chart (a local path inside
// the project, or a chart pre-pulled by `kluctl helm-pull` into the project's
// .helm-charts folder, see Config.PulledChartDir for the layout) and Render
// renders it the way `helm template --include-crds` does, keeping hooks other
// than test hooks and marking every object with the
// kluctl.io/helm-install-namespace annotation. The result is written into the
// file named by the chart's output field, which the folder's kustomization
// then lists as a resource.
//
// The package never pulls charts and never talks to a cluster: the
// Kubernetes version and API versions come from RenderOptions.
package helm
