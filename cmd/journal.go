package cmd

import (
	"os"
	"strings"

	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/journal"
	"github.com/spf13/cobra"
)

// journalRun records a docker verb typed in a shell set up by "dockling env"
// (DOCKLING_JOURNAL=1), so the learner's own terminal feeds a lesson's checks as
// the guided session does. Where env installed its shell hook (DOCKLING_HOOK=1) the
// hook journals every whole line and this only notes what the verb touched for it;
// in other shells the verb journals itself. The session's shell journals its lines
// itself and leaves DOCKLING_JOURNAL unset.
type journalRun struct {
	dir    string
	line   string
	before journal.State
}

// beginJournal captures the sandbox before a docker verb runs; nil when there is
// nothing to journal.
func beginJournal(root *cobra.Command) *journalRun {
	if os.Getenv("DOCKLING_JOURNAL") != "1" {
		return nil
	}
	args := os.Args[1:]
	c, _, err := root.Find(args)
	if err != nil || c == nil || !isDockerVerb(c) {
		return nil
	}
	// Flags are not parsed yet: read --root and --sandbox from the words.
	f := &Factory{DataRoot: journal.FlagValue(args, "--root"), SandboxName: journal.FlagValue(args, "--sandbox")}
	if f.SandboxName == "" {
		f.SandboxName = os.Getenv("DOCKLING_SANDBOX")
	}
	if f.SandboxName == "" {
		f.SandboxName = sandbox.DefaultSandbox
	}
	dir, err := f.SandboxDir()
	if err != nil {
		return nil
	}
	jr := &journalRun{dir: dir, line: "docker " + strings.Join(dockerArgs(args), " ")}
	if sb, err := sandbox.Open(dir); err == nil {
		jr.before = journal.Capture(sb)
	}
	return jr
}

// end journals the verb (or notes what it touched for the shell hook).
func (jr *journalRun) end(code int) {
	if jr == nil {
		return
	}
	after := journal.State{}
	if sb, err := sandbox.Open(jr.dir); err == nil {
		after = journal.Capture(sb)
	}
	cs, is := journal.Used(jr.line, jr.before, after)
	if os.Getenv("DOCKLING_HOOK") == "1" {
		_ = journal.AddPending(jr.dir, cs, is)
		return
	}
	_ = journal.Append(jr.dir, journal.Entry{Line: jr.line, ExitCode: code, Containers: cs, Images: is})
}

// dockerArgs drops a leading "docker" (as in "dockling docker ps") and quotes words
// with spaces, so the journal line reads like what was typed.
func dockerArgs(args []string) []string {
	if len(args) > 0 && args[0] == "docker" {
		args = args[1:]
	}
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"$") {
			a = shellQuote(a)
		}
		out[i] = a
	}
	return out
}

// NewJournalAppendCmd is the hidden `dockling journal-append`: the shell hook that
// `dockling env` installs calls it after every line the learner types, with the
// line and its exit code.
func NewJournalAppendCmd(f *Factory) *cobra.Command {
	var exit int
	c := &cobra.Command{
		Use:    "journal-append --exit CODE -- LINE",
		Short:  "Journal a line typed in a shell set up by dockling env (used by its hook)",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir, err := f.SandboxDir()
			if err != nil {
				return err
			}
			return session.AppendTyped(dir, args[0], exit, "")
		},
	}
	c.Flags().IntVar(&exit, "exit", 0, "the line's exit code")
	return c
}
