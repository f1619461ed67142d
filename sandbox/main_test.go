package sandbox

import (
	"testing"

	"github.com/dockling/dockling/sandbox/runtime"
)

func TestMain(m *testing.M) {
	// The runtime re-executes the test binary (the overlay probe of a first create,
	// shims and inits): it must take those roles before any test runs.
	runtime.Init()
	m.Run()
}
