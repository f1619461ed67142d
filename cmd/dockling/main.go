// Command dockling teaches containers by doing: guided lessons on a built-in,
// daemonless, Docker-compatible container runtime.
package main

import (
	"os"

	"github.com/dockling/dockling/cmd"
)

// A re-executed shim, container init or exec helper never gets here: the runtime
// package takes those roles over in its init, before the command line's packages are
// initialised.
func main() {
	os.Exit(cmd.Main())
}
