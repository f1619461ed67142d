package sandbox

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LogOptions select what `docker logs` prints.
type LogOptions struct {
	Follow bool
	// Tail is how many of the last entries to print; negative prints them all.
	Tail int
	// Since and Until bound the entries' times (zero: no bound).
	Since, Until time.Time
}

// ErrBadLogTime is a --since or --until that is neither a time nor a duration.
var ErrBadLogTime = errors.New("failed to parse value as time or duration")

// ReadLogs is Logs with Docker's selections: entries outside Since..Until are left
// out, and of the rest only the last Tail are printed, then (Follow) what comes.
func (sb *Sandbox) ReadLogs(name string, o LogOptions, fn func(LogEntry) error) error {
	in := func(e LogEntry) bool {
		return (o.Since.IsZero() || !e.Time.Before(o.Since)) && (o.Until.IsZero() || !e.Time.After(o.Until))
	}
	skip := 0
	if o.Tail >= 0 {
		// A first pass counts what is there, so the second starts at the tail and
		// follows on from it.
		n := 0
		if err := sb.Logs(name, false, func(e LogEntry) error {
			if in(e) {
				n++
			}
			return nil
		}); err != nil {
			return err
		}
		skip = max(0, n-o.Tail)
	}
	return sb.Logs(name, o.Follow, func(e LogEntry) error {
		if !in(e) {
			return nil
		}
		if skip > 0 {
			skip--
			return nil
		}
		return fn(e)
	})
}

// ParseLogTime reads --since and --until as Docker does: an RFC 3339 time or date
// (local time when it has no zone), a Unix time in seconds (with a fraction), or a
// duration back from now ("10m", "1h30m").
func ParseLogTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	sec, frac, _ := strings.Cut(s, ".")
	if secs, err := strconv.ParseInt(sec, 10, 64); err == nil {
		var nanos int64
		if frac != "" {
			f, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("%w: %q", ErrBadLogTime, s)
			}
			nanos = f
		}
		return time.Unix(secs, nanos), nil
	}
	return time.Time{}, fmt.Errorf("%w: %q", ErrBadLogTime, s)
}
