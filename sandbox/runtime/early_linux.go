package runtime

// init takes a re-executed role (shim, container init, exec helper, overlay probe; package
// role decides which) over as soon as this package's imports are initialised. A role never returns, so what is
// initialised after this package is never initialised in the processes every container
// start makes; and any binary that links the runtime, a test binary included, takes its
// roles without having to remember to call Init.
//
// How early that is depends on the imports. Go initialises packages in dependency
// order, picking the lexically first ready one at each step, so a package that imports
// one of net, os/exec, os/user, path/filepath or runtime/debug waits until nearly every
// package of the CLI (the registry client's zstd and digest tables, the terminal and
// YAML libraries) has been initialised: about 1.5 ms of a shim's or an init's start-up
// on a small machine. The runtime does without them (sock_linux.go, spawn_linux.go,
// path, shimGoEnv), as does package trash, and TestRuntimeImportsStayEarly keeps it so.
func init() { Init() }
