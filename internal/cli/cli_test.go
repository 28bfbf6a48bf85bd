package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/kluctl-go/kluctl/internal/iostreams"
)

func TestMainExitCodesAndStreams(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "version", args: []string{"version"}, wantCode: ExitOK, wantStdout: "0.0.0-dev\n"},
		{name: "version-flag", args: []string{"--version"}, wantCode: ExitOK, wantStdout: "kluctl version 0.0.0-dev"},
		{name: "bash-completion", args: []string{"completion", "bash"}, wantCode: ExitOK, wantStdout: "bash completion"},
		{name: "unknown-shell", args: []string{"completion", "tcsh"}, wantCode: ExitFailure, wantStderr: "unsupported shell"},
		{name: "unknown-flag", args: []string{"render", "--nope"}, wantCode: ExitUsage, wantStderr: "unknown flag: --nope"},
		{name: "unknown-command", args: []string{"frobnicate"}, wantCode: ExitUsage, wantStderr: "unknown command"},
		{name: "bad-output-format", args: []string{"diff", "-o", "xml"}, wantCode: ExitFailure, wantStderr: "format must be text, yaml or json"},
		// Flags of the original that scripts pass are accepted (parsing
		// gets as far as the output format check).
		{name: "original-flags-accepted", args: []string{"deploy", "--write-command-result=false", "--command-result-namespace", "r", "--helm-creds", "h/p=u:pw",
			"--registry-plain-http", "reg/repo", "--git-username", "g/p=u", "--local-git-override", "a=b", "--git-cache-update-interval", "1m", "--use-system-python", "-o", "xml"},
			wantCode: ExitFailure, wantStderr: "format must be text, yaml or json"},
		{name: "missing-project", args: []string{"render", "--project-dir", "/does/not/exist", "--offline-kubernetes"}, wantCode: ExitUsage, wantStderr: "invalid argument \"/does/not/exist\" for \"--project-dir\" flag: /does/not/exist does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			io, _, out, errOut := iostreams.Test()
			code := MainWithEnv(context.Background(), tc.args, io, Env{ConfigDirs: []string{}})
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr: %s)", code, tc.wantCode, errOut)
			}
			if !strings.Contains(out.String(), tc.wantStdout) {
				t.Errorf("stdout %q does not contain %q", out, tc.wantStdout)
			}
			if !strings.Contains(errOut.String(), tc.wantStderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.wantStderr)
			}
		})
	}
}
