package cli

import (
	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/listtargets"
	rendercmd "github.com/kluctl-go/kluctl/internal/cli/render"
)

// addProjectCommands registers the commands that work on a Kluctl project.
func addProjectCommands(root *cobra.Command, f *factory.Factory) {
	root.AddCommand(rendercmd.NewCmd(f, nil))
	root.AddCommand(listtargets.NewCmd(f, nil))
}
