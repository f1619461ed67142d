package cmd

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dockling/dockling/sandbox"
)

// stopOrKill is docker stop of one container. Ctrl-C while it waits for the
// container to stop would end dockling with the container left running and nothing
// said; Docker's daemon would go on with the stop. Here the stop is finished at once
// instead (SIGKILL), saying so.
func stopOrKill(sb *sandbox.Sandbox, name string, timeout time.Duration, errOut io.Writer) error {
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	done := make(chan error, 1)
	go func() {
		_, err := sb.Stop(name, timeout)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-interrupt:
	}
	fmt.Fprintf(errOut, "Interrupted: killing %s now instead of waiting for it to stop.\n", name)
	// It may have stopped meanwhile (Kill then fails): the stop's own result says.
	_, _ = sb.Kill(name, syscall.SIGKILL)
	return <-done
}
