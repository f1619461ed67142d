package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// HeadOf is Head for a journal's bytes: the number of complete lines and the hex
// sha256 of the last one (a torn last line does not count, as in Head).
func HeadOf(data []byte) (seq int, hash string) {
	data = complete(data)
	seq = bytes.Count(data, []byte("\n"))
	if seq == 0 {
		return 0, ""
	}
	body := data[:len(data)-1]
	return seq, sum(body[bytes.LastIndexByte(body, '\n')+1:])
}

// complete cuts a torn last line (one without its newline) off data.
func complete(data []byte) []byte { return data[:bytes.LastIndexByte(data, '\n')+1] }

// Seal returns the journal data (its complete lines) followed by one more record that
// continues its chain and carries digest: the record a submission bundle ends its
// copy of the journal with, binding the bundle's manifest to the chain. line says
// what made it (the submit command).
func Seal(data []byte, digest, line string, t time.Time) ([]byte, error) {
	data = complete(data)
	seq, prev := HeadOf(data)
	rec, err := encode(Entry{Seq: seq + 1, Time: t, Line: line, Seal: digest, Prev: prev})
	if err != nil {
		return nil, err
	}
	out := append(append([]byte{}, data...), rec...)
	return append(out, '\n'), nil
}

// CutSeal splits what Seal made into the journal and the digest its last record
// carries. The record must be whole and follow the journal's last line; otherwise
// the error wraps ErrTampered, and data is still the journal without its last line
// when that is a seal (so no seal is taken for a command). The journal lines
// themselves are Verify's to check.
func CutSeal(sealed []byte) (data []byte, digest string, err error) {
	if len(sealed) == 0 || sealed[len(sealed)-1] != '\n' {
		return nil, "", &TamperError{Line: bytes.Count(sealed, []byte("\n")) + 1, Problem: "the journal does not end with the bundle's seal"}
	}
	cut := bytes.LastIndexByte(sealed[:len(sealed)-1], '\n') + 1
	data, rec := sealed[:cut], sealed[cut:len(sealed)-1]
	seq, prev := HeadOf(data)
	bad := func(problem string) error { return &TamperError{Line: seq + 1, Problem: problem} }
	var e Entry
	body, claimed, ok := bodyOf(rec)
	switch {
	case !ok || json.Unmarshal(rec, &e) != nil || e.Seal == "":
		return nil, "", bad("the journal does not end with the bundle's seal")
	case sum(body) != claimed:
		return data, "", bad("the seal's hash does not match its content: it was edited")
	case e.Prev != prev || e.Seq != seq+1:
		return data, "", bad(fmt.Sprintf("the seal does not follow line %d: the journal was edited", seq))
	}
	return data, e.Seal, nil
}
