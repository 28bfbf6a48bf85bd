// Package crd embeds the CustomResourceDefinitions of the APIs (generated
// by `make generate` into bases/), for `kluctl controller install` and
// tests.
package crd

import "embed"

// Bases holds bases/*.yaml.
//
//go:embed bases/*.yaml
var Bases embed.FS

// The files of the CRDs in Bases.
const (
	kluctlDeploymentFile          = "bases/gitops.kluctl.io_kluctldeployments.yaml"
	fluxKluctlDeploymentFile      = "bases/flux.kluctl.io_kluctldeployments.yaml"
	fluxKluctlMultiDeploymentFile = "bases/flux.kluctl.io_kluctlmultideployments.yaml"
)

// KluctlDeployment returns the CRD of kluctldeployments.gitops.kluctl.io.
func KluctlDeployment() ([]byte, error) {
	return Bases.ReadFile(kluctlDeploymentFile)
}

// FluxKluctlDeployment returns the CRD of kluctldeployments.flux.kluctl.io,
// the legacy API of the Flux-era controller.
func FluxKluctlDeployment() ([]byte, error) {
	return Bases.ReadFile(fluxKluctlDeploymentFile)
}

// FluxKluctlMultiDeployment returns the CRD of
// kluctlmultideployments.flux.kluctl.io, the legacy API of the Flux-era
// controller.
func FluxKluctlMultiDeployment() ([]byte, error) {
	return Bases.ReadFile(fluxKluctlMultiDeploymentFile)
}

// All returns every CRD, the current API first.
func All() ([][]byte, error) {
	var out [][]byte
	for _, read := range []func() ([]byte, error){KluctlDeployment, FluxKluctlDeployment, FluxKluctlMultiDeployment} {
		b, err := read()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
