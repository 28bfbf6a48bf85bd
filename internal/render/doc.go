// Package render turns a loaded project into the objects of each deployment
// item: it renders the item folders with Jinja2, renders Helm charts, builds
// Kustomize and post-processes the objects (labels, annotations, namespace).
package render
