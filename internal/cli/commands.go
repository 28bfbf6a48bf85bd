package cli

import (
	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/controllercmd"
	"github.com/kluctl-go/kluctl/internal/cli/delete"
	"github.com/kluctl-go/kluctl/internal/cli/deploy"
	"github.com/kluctl-go/kluctl/internal/cli/diff"
	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/cli/gitopscmd"
	"github.com/kluctl-go/kluctl/internal/cli/helmpull"
	"github.com/kluctl-go/kluctl/internal/cli/helmupdate"
	"github.com/kluctl-go/kluctl/internal/cli/listimages"
	"github.com/kluctl-go/kluctl/internal/cli/listtargets"
	"github.com/kluctl-go/kluctl/internal/cli/ocicmd"
	"github.com/kluctl-go/kluctl/internal/cli/pokeimages"
	"github.com/kluctl-go/kluctl/internal/cli/prune"
	rendercmd "github.com/kluctl-go/kluctl/internal/cli/render"
	"github.com/kluctl-go/kluctl/internal/cli/validate"
	"github.com/kluctl-go/kluctl/internal/cli/webuicmd"
)

// addProjectCommands registers the commands that work on a Kluctl project.
func addProjectCommands(root *cobra.Command, f *factory.Factory) {
	root.AddCommand(rendercmd.NewCmd(f, nil))
	root.AddCommand(listtargets.NewCmd(f, nil))
	root.AddCommand(listimages.NewCmd(f, nil))
	root.AddCommand(deploy.NewCmd(f, nil))
	root.AddCommand(pokeimages.NewCmd(f, nil))
	root.AddCommand(diff.NewCmd(f, nil))
	root.AddCommand(prune.NewCmd(f, nil))
	root.AddCommand(delete.NewCmd(f, nil))
	root.AddCommand(validate.NewCmd(f, nil))
	root.AddCommand(controllercmd.NewCmd(f))
	root.AddCommand(gitopscmd.NewCmd(f))
	root.AddCommand(helmpull.NewCmd(f, nil))
	root.AddCommand(helmupdate.NewCmd(f, nil))
	root.AddCommand(ocicmd.NewCmd(f))
	root.AddCommand(webuicmd.NewCmd(f))
}
