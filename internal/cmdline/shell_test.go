package cmdline

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every spelling a shell would run docker images by is read as docker images.
func TestParseFindsTheCommandAShellRuns(t *testing.T) {
	for _, line := range []string{
		"docker images",
		"clear; docker images",
		"time docker images",
		"sudo docker images",
		"sudo -u root docker images",
		"docker images | head",
		"FOO=1 docker images",
		"env FOO=1 docker images",
		"(docker images)",
		"docker images && echo ok",
		"false || docker images",
		"echo $(docker images)",
		"if true; then docker images; fi",
		"/usr/bin/docker images",
		"dockling docker images",
		"dockling images",
		"docker image ls",
		"docker image list",
		"  docker   images  # and a comment",
	} {
		cmds, err := Parse(line)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		var got []string
		for _, c := range cmds {
			if d, ok := c.Docker(); ok {
				got = append(got, d.String())
			}
		}
		if !slices.Equal(got, []string{"docker images"}) {
			t.Errorf("%q runs docker commands %q, want [docker images]", line, got)
		}
	}
}

func TestParseWords(t *testing.T) {
	cmds, err := Parse(`docker run -e "A=b c" --name 'my box' e\ f -v $HOME:/h ubuntu`)
	if err != nil {
		t.Fatal(err)
	}
	got := cmds[0].Args()
	want := []string{"docker", "run", "-e", "A=b c", "--name", "my box", "e f", "-v", "$HOME:/h", "ubuntu"}
	if !slices.Equal(got, want) {
		t.Fatalf("words %q, want %q", got, want)
	}
	if cmds[0].Words[8].Literal {
		t.Error("a word with $HOME is taken as literal")
	}
}

// What a learner may type by mistake or on purpose: an error or nothing, quickly,
// never a panic, never a command that did not run.
func TestParseHostileInput(t *testing.T) {
	for name, line := range map[string]string{
		"unterminated double quote": `docker run "ubuntu`,
		"unterminated single quote": `docker images 'x`,
		"unterminated substitution": `echo $(docker ps`,
		"dangling pipe":             `docker images |`,
		"unclosed subshell":         `(docker images`,
		"unclosed heredoc":          "cat <<EOF\ndocker images",
	} {
		if cmds, err := Parse(line); err == nil {
			t.Errorf("%s: %q read as %v without error", name, line, cmds)
		}
	}
	// A heredoc's body is data, not commands.
	cmds, err := Parse("cat <<EOF\ndocker rmi ubuntu\nEOF\n")
	if err != nil || len(cmds) != 1 || cmds[0].String() != "cat" {
		t.Errorf("heredoc read as %v, %v; want only cat", cmds, err)
	}
	// Quoted text is not a command.
	cmds, _ = Parse(`echo "docker rmi ubuntu; docker ps"`)
	for _, c := range cmds {
		if _, ok := c.Docker(); ok {
			t.Errorf("quoted text read as a docker command: %v", c)
		}
	}
	for name, line := range map[string]string{
		"long":       strings.Repeat("docker images; ", MaxLine/15+1),
		"nested":     strings.Repeat("(", MaxLine/2) + strings.Repeat(")", MaxLine/2),
		"substs":     strings.Repeat("$(", MaxLine/4) + strings.Repeat(")", MaxLine/4),
		"deep":       strings.Repeat("(", MaxDepth+1) + "docker ps" + strings.Repeat(")", MaxDepth+1),
		"just below": strings.Repeat("echo $(", MaxDepth) + "docker ps" + strings.Repeat(")", MaxDepth),
		"flat":       strings.Repeat("docker ps; ", MaxLine/12),
	} {
		start := time.Now()
		_, err := Parse(line)
		if (len(line) > MaxLine || name == "deep") && !errors.Is(err, ErrTooLong) {
			t.Errorf("%s: %d bytes read, want ErrTooLong; got %v", name, len(line), err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}

func TestDockerCommandOperands(t *testing.T) {
	for line, want := range map[string]string{
		"docker run -it --name web -e A=1 -w /x ubuntu bash -c ls": "i:ubuntu",
		"docker run -de A=1 nginx":                                 "i:nginx",
		"docker container run --rm ubuntu echo hi --name x":        "i:ubuntu",
		"docker --sandbox s commit -m msg -a me box my-image:1":    "c:box i:my-image:1",
		"docker stop -t 1 a b":                                     "c:a c:b",
		"docker tag ubuntu mine":                                   "i:ubuntu i:mine",
		"docker exec -it -w /tmp box ls -l":                        "c:box",
		"docker inspect -f '{{.Id}}' x":                            "e:x",
		"docker image inspect ubuntu":                              "i:ubuntu",
		"docker image rm -f a":                                     "i:a",
		"docker frobnicate --x y":                                  "-:y",
	} {
		cmds, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := cmds[0].Docker()
		if !ok {
			t.Fatalf("%q is no docker command", line)
		}
		var got []string
		for _, o := range d.Operands {
			got = append(got, string(o.Kind)+":"+o.Text)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%q: operands %q, want %q", line, strings.Join(got, " "), want)
		}
	}
}

func TestNormRef(t *testing.T) {
	for in, want := range map[string]string{
		"ubuntu": "ubuntu:latest", "ubuntu:22.04": "ubuntu:22.04", "docker.io/library/ubuntu": "ubuntu:latest",
		"library/ubuntu:1": "ubuntu:1", "docker.io/me/app": "me/app:latest", "index.docker.io/me/app:v2": "me/app:v2",
		"localhost:5000/app": "localhost:5000/app:latest", "ghcr.io/a/b:c": "ghcr.io/a/b:c",
		"ubuntu@sha256:" + strings.Repeat("a", 64): "ubuntu@sha256:" + strings.Repeat("a", 64),
		"Not A Ref": "Not A Ref",
	} {
		if got := NormRef(in); got != want {
			t.Errorf("NormRef(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		`python3 -c 'print(1+1)'`: {"python3", "-c", "print(1+1)"},
		`echo "a b" c\ d  e`:      {"echo", "a b", "c d", "e"},
		`sh -c 'echo "$HOME"'`:    {"sh", "-c", `echo "$HOME"`},
		`x ''`:                    {"x", ""},
		"":                        nil,
	} {
		got, err := Words(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{`"open`, "a; b", "a | b", "a > /x", "echo $HOME", "A=1 b", "a &"} {
		if got, err := Words(in); err == nil {
			t.Errorf("%q split into %q, want an error", in, got)
		}
	}
}
