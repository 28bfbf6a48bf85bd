// Package completion implements `kluctl completion <shell>`.
package completion

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
)

// NewCmd returns the completion command, which writes a shell completion
// script to stdout.
func NewCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "Generate the autocompletion script for the specified shell",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			out := f.IO.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			default:
				return fmt.Errorf("unsupported shell %q, use one of bash, zsh, fish, powershell", args[0])
			}
		},
	}
}
