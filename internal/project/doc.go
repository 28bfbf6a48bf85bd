// Package project loads a Kluctl project: the .kluctl.yaml with its targets
// and args, and the tree of deployment.yml files with their variables. It
// produces the list of deployment items, each with the variables it is
// rendered with; the render package turns those into objects.
package project
