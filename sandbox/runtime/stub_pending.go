package runtime

// Init and Capabilities stand in until the runtime lands: Init does nothing (no
// process is re-executed yet) and Capabilities reports nothing as supported.
func Init() {}

// Capabilities reports what this kernel allows; unknown until the runtime lands.
func Capabilities() Support {
	return Support{UserNSReason: "not probed in this build", OverlayReason: "not probed in this build"}
}
