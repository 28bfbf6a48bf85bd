// Package version implements `kluctl version`.
package version

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
)

// NewCmd returns the version command. It prints the bare version (no
// leading v) on stdout, as the original does, so that scripts can parse it.
func NewCmd(f *factory.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kluctl version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(f.IO.Out, Bare(f.Version))
			return err
		},
	}
}

// Bare returns v without a leading "v".
func Bare(v string) string { return strings.TrimPrefix(v, "v") }
