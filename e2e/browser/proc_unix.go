//go:build unix

package browser

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts chromedriver, and the Chromium it starts, in a
// process group of their own.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills chromedriver's whole group, so no Chromium
// outlives the test even when the session could not be deleted.
func killProcessGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
