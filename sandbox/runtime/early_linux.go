package runtime

// init takes a re-executed role (shim, container init, exec helper, overlay probe) over
// as soon as this package's imports are initialised. A role never returns, so what
// only the command line needs and is initialised after this package (cobra, the
// lesson engine, the HTTP client) is never initialised in the processes every
// container start makes; and any binary that links the runtime, a test binary
// included, takes its roles without having to remember to call Init.
func init() { Init() }
