// Command dockling teaches containers by doing: guided lessons on a built-in,
// daemonless, Docker-compatible container runtime.
package main

import (
	"os"

	"github.com/dockling/dockling/cmd"
	"github.com/dockling/dockling/sandbox/runtime"
)

func main() {
	// A re-executed shim or container init must take over before anything else runs.
	runtime.Init()
	os.Exit(cmd.Main())
}
