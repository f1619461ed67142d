package session

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// runTerminal runs script on the learner's terminal. The shell stays in our process
// group, which is the terminal's foreground group, so it reads the terminal and gets
// Ctrl-C itself; we only keep Ctrl-C and Ctrl-\ from ending the session meanwhile.
// Interactive lines get the terminal's own files. The others write to a pty of ours
// (so they still see a terminal: `ls` lays out columns, progress bars show) whose
// output we copy to the terminal and keep for the journal; they read the real one.
func (s *Shell) runTerminal(script string, interactive bool) (Result, error) {
	in, inOK := s.io.In.(*os.File)
	out, outOK := s.io.Out.(*os.File)
	errOut, errOK := s.io.ErrOut.(*os.File)
	if !inOK || !outOK || !errOK {
		return s.runPipes(context.Background(), script)
	}
	if saved, err := term.GetState(int(in.Fd())); err == nil {
		// A program that dies in raw mode must not leave the prompt unusable.
		defer term.Restore(int(in.Fd()), saved)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	// Without job control there is no way back from Ctrl-Z: ignore it (the
	// ignoring is inherited, so the line cannot be stopped and hang the session).
	signal.Ignore(syscall.SIGTSTP)
	defer signal.Reset(syscall.SIGTSTP)

	cmd := s.command(context.Background(), script)
	cmd.Stdin = in
	if interactive {
		cmd.Stdout, cmd.Stderr = out, errOut
		code, err := exitCode(cmd.Run())
		return Result{ExitCode: code}, err
	}
	ptm, pts, err := pty.Open()
	if err != nil {
		// No ptys to spare: hand the terminal through, uncaptured.
		cmd.Stdout, cmd.Stderr = out, errOut
		code, err := exitCode(cmd.Run())
		return Result{ExitCode: code}, err
	}
	defer ptm.Close()
	_ = pty.InheritSize(out, pts)
	// Let newlines through as they are: the real terminal turns them into CRLF
	// itself, and the journal gets the output as the program wrote it.
	if t, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS); err == nil {
		t.Oflag &^= unix.OPOST
		_ = unix.IoctlSetTermios(int(pts.Fd()), unix.TCSETS, t)
	}
	cmd.Stdout, cmd.Stderr = pts, pts
	if err := cmd.Start(); err != nil {
		pts.Close()
		return Result{}, errors.New("starting the lesson's shell: " + err.Error())
	}
	pts.Close()
	var buf capture
	copied := make(chan struct{})
	go func() {
		// Ends with EIO once every holder of the pty's other end has closed it.
		io.Copy(io.MultiWriter(out, &buf), ptm)
		close(copied)
	}()
	code, err := exitCode(cmd.Wait())
	select {
	case <-copied:
	case <-time.After(300 * time.Millisecond):
		// A background job (`sleep 60 &`) still holds the pty: stop copying.
		ptm.Close()
		<-copied
	}
	return Result{ExitCode: code, Output: buf.String()}, err
}

// ownGroup puts the line in its own process group and makes cancelling kill the whole
// group, so nothing the line started outlives it.
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
