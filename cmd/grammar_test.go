package cmd

import (
	"bytes"
	"os"
	"testing"
)

// The grammar packages below cmd use until cmd registers its own (their tests) is a
// snapshot: it must be what the commands define. UPDATE_GRAMMAR=1 rewrites it.
func TestDockerGrammarSnapshot(t *testing.T) {
	got, err := DockerGrammar().JSON()
	if err != nil {
		t.Fatal(err)
	}
	const path = "../internal/cmdline/grammar.json"
	if os.Getenv("UPDATE_GRAMMAR") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the grammar of the docker commands; run UPDATE_GRAMMAR=1 go test ./cmd -run TestDockerGrammarSnapshot", path)
	}
}

// Docker's spellings of one verb are one verb, and flags defined on the commands
// (values or not) are known.
func TestDockerGrammarFromCommands(t *testing.T) {
	g := DockerGrammar()
	for path, want := range map[string]string{"container ls": "ps", "container list": "ps", "image ls": "images",
		"image rm": "rmi", "image build": "build", "container run": "run", "image inspect": "inspect", "ps": "ps"} {
		v := g.Verbs
		var name string
		for _, w := range bytes.Fields([]byte(path)) {
			if v[string(w)] == nil {
				t.Fatalf("%s: no verb %s", path, w)
			}
			name = v[string(w)].Name
			v = v[string(w)].Verbs
		}
		if name != want {
			t.Errorf("%s is %q, want %q", path, name, want)
		}
	}
	run := g.Verbs["run"]
	for flag, takes := range map[string]bool{"--name": true, "-e": true, "-d": false, "-i": false, "--rm": false, "--root": true} {
		if got, ok := run.Flags[flag]; !ok || got != takes {
			t.Errorf("run %s takes a value: %v (known %v), want %v", flag, got, ok, takes)
		}
	}
	if run.Operands != "i." {
		t.Errorf("run's operands are %q, want an image then a command", run.Operands)
	}
}
