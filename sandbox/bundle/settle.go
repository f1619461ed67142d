package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// RunningExitCode is the exit code a container still running at submit is graded
// with. Its process ended with the learner's machine (to the grader, it went away
// like a host that lost power), and Docker shows a container whose process it
// lost that way as exited with 255.
const RunningExitCode = 255

// RunningAtSubmit is the error such a container is graded with.
const RunningAtSubmit = "the container was still running when the sandbox was submitted"

// settledState is the part of a container's state.json (the runtime's file) a
// bundle keeps: no pids or process start times, which name processes of the
// learner's machine and, on the grader's, could name any process at all.
type settledState struct {
	Status     string    `json:"status"`
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Error      string    `json:"error,omitempty"`
	StopSignal int       `json:"stopSignal,omitempty"`
	Tty        bool      `json:"tty,omitempty"`
}

// settleContainers rewrites every container's state in dest so that none is
// running on the grader: a bundle's containers ran on the learner's machine, and a
// running state would let exec checks join whatever process its pid names here.
// An exited container keeps its exit code and times; a created one stays created;
// anything else (running, or a state that does not parse) becomes exited with
// RunningExitCode at the submit time.
func settleContainers(dest string, submitted time.Time) error {
	dir := filepath.Join(dest, "containers")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(dir, e.Name(), "state.json")
		var st settledState
		b, err := os.ReadFile(p)
		switch {
		case os.IsNotExist(err):
			st.Status = "created"
		case err != nil:
			return err
		case json.Unmarshal(b, &st) != nil:
			st = settledState{Status: "running"}
		}
		switch st.Status {
		case "created", "exited":
		default:
			st.Status, st.ExitCode, st.Error = "exited", RunningExitCode, RunningAtSubmit
			st.FinishedAt = submitted
		}
		out, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
