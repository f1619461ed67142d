package session

import (
	"os"
	"path/filepath"
	"testing"
)

type dirRunner struct {
	fakeRunner
	dir string
}

func (r dirRunner) Dir() string { return r.dir }

func TestTabCompletes(t *testing.T) {
	dir := t.TempDir()
	sha := filepath.Join(dir, "image", "overlay2", "imagedb", "content", "sha256")
	if err := os.MkdirAll(sha, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sha, "b8ef76ba13e9"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := &world{
		containers: map[string]string{"c1": "glad_hopper|exited|0|0|x|y", "c2": "/gentle_bell|exited|0|0|x|y"},
		images:     map[string]string{"sha256:1": "ubuntu:latest", "sha256:2": "hello-world:latest"},
	}
	s := &Session{cfg: Config{Sandbox: w, Runner: dirRunner{dir: dir}}}
	for _, tc := range []struct{ line, want string }{
		{"docker star", "docker start "}, {"docker sta", "docker sta"},
		{"docker start gl", "docker start glad_hopper "},
		{"docker run -it ubu", "docker run -it ubuntu "},
		{"docker attach g", "docker attach g"}, // two containers start with g: nothing to add
		{"docker attach ge", "docker attach gentle_bell "},
		{"cat ima", "cat image/"},
		{"cat image/overlay2/imagedb/content/sha256/", "cat image/overlay2/imagedb/content/sha256/b8ef76ba13e9 "},
		{"cat nothing-here", "cat nothing-here"},
		// Read as the shell reads it: after other commands, under wrappers, by the
		// grammar of the verb.
		{"clear; docker star", "clear; docker start "},
		{"time sudo docker start gl", "time sudo docker start glad_hopper "},
		{"docker container star", "docker container start "},
		{"docker container start gl", "docker container start glad_hopper "},
		{"docker images | grep ubu", "docker images | grep ubu"},
		{"docker run --name gl", "docker run --name gl"}, // a new name, not an old one
		{"docker run --na", "docker run --name "},
		{"docker start glad_hopper gen", "docker start glad_hopper gentle_bell "},
		{"docker rmi gl", "docker rmi gl"}, // images only
		{"docker run -it ubuntu ima", "docker run -it ubuntu image/"},
		{`echo "docker sta`, `echo "docker sta`},
		{`cat "ima`, `cat "image/`},
		{`docker start 'gl`, `docker start 'glad_hopper' `},
	} {
		got, pos, ok := s.complete(tc.line, len(tc.line))
		if !ok {
			got, pos = tc.line, len(tc.line)
		}
		if got != tc.want || pos != len(tc.want) {
			t.Errorf("%q: got %q at %d, want %q", tc.line, got, pos, tc.want)
		}
	}
}
