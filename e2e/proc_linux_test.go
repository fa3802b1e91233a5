package e2e

import (
	"os/exec"
	"syscall"
)

// setPdeathsig kills the collector if the test process dies first.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
