// Command dockling teaches containers by doing: guided lessons on a built-in,
// daemonless, Docker-compatible container runtime.
package main

import (
	"os"

	"github.com/dockling/dockling/cmd"
	"github.com/dockling/dockling/sandbox"
)

// A re-executed shim, container init or exec helper never gets here: the runtime
// package takes those roles over in its init, before the command line's packages are
// initialised. A mapped helper (reading a rootless container's files as its root) does,
// as its work is the sandbox's.
func main() {
	if helper, code := sandbox.RunHelperRole(); helper {
		os.Exit(code)
	}
	os.Exit(cmd.Main())
}
