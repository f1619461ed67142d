//go:build race

package runtime

// raceEnabled: the race detector multiplies memory use, so the RSS budget is not checked.
const raceEnabled = true
