package checker

import (
	"io/fs"
	"time"
)

// View is the read-only window checks have on a sandbox. It is small on purpose: a
// fake serves unit tests (package fakeview) and other engines can be adapted later.
// Every method is deterministic for a given sandbox except Exec, which runs a command.
type View interface {
	// Containers lists every container.
	Containers() ([]Container, error)
	// Images lists every image.
	Images() ([]Image, error)
	// ContainerFS is a container's merged file system (its image plus its changes).
	ContainerFS(id string) (fs.FS, error)
	// ImageFS is an image's merged file system.
	ImageFS(id string) (fs.FS, error)
	// Diff is what a container changed relative to its image (docker diff).
	Diff(containerID string) ([]Change, error)
	// Journal is every command the learner ran, oldest first.
	Journal() ([]Command, error)
	// Exec runs a command in a running container or in a fresh container of an image
	// (removed afterwards) and reports its exit code and output.
	Exec(req ExecRequest) (ExecResult, error)
	// StoreFS is the sandbox's data root (the "Docker Root Dir").
	StoreFS() (fs.FS, error)
}

// Container is a container as checks see it.
type Container struct {
	ID         string
	Name       string   // without Docker's leading "/"
	Image      string   // the image as typed at create ("ubuntu")
	ImageID    string   // "sha256:…"
	Args       []string // the process: path then arguments
	State      string   // created, running or exited
	ExitCode   int
	Created    time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}

// Image is an image as checks see it.
type Image struct {
	ID         string   // "sha256:…"
	Tags       []string // "ubuntu:latest"
	Parent     string   // the image it was committed from, "" when unknown
	Layers     []string // diff IDs, bottom first
	Cmd        []string
	Entrypoint []string
	Env        []string // KEY=value
	Labels     map[string]string
	WorkingDir string
	User       string
	Author     string
	Comment    string // docker commit -m
	Created    time.Time
	History    []History // oldest first
	Size       int64
}

// History is one entry of an image's history.
type History struct {
	CreatedBy  string
	Comment    string
	Author     string
	EmptyLayer bool
}

// Change is one line of docker diff.
type Change struct {
	Kind byte // 'A' added, 'C' changed, 'D' deleted
	Path string
}

// Command is one line the learner ran, from the sandbox's journal.
type Command struct {
	Seq      int
	Time     time.Time
	Line     string // the whole shell line
	ExitCode int
	Output   string // what it printed, when the session captured it ("" otherwise)
	// The containers and images the command created or used, by ID or name, when
	// the journal recorded them.
	Containers []string
	Images     []string
}

// ExecRequest is a command to run for an exec check: in the running container
// Container, or else in a fresh container of Image.
type ExecRequest struct {
	Container string // container ID
	Image     string // image ID, when Container is ""
	// Args is the command; for an image it replaces the image's CMD (the image's
	// ENTRYPOINT stays, as with docker run IMAGE ARGS). Empty for an image means its
	// default command.
	Args    []string
	Timeout time.Duration
}

// ExecResult is what the command did.
type ExecResult struct {
	ExitCode int
	Output   string // stdout and stderr, interleaved
}
