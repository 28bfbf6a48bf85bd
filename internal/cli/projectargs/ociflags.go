package projectargs

import (
	"context"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/project"
)

// ociFetcher returns the engine's OCI include fetcher; nil until OCI
// includes are built.
func (f *Flags) ociFetcher(fa *factory.Factory) (func(context.Context, string, *project.OciRef) (*project.RemoteSource, func(), error), error) {
	return nil, nil
}
