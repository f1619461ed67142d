package journal

import (
	"slices"
	"testing"
)

func TestParseOperands(t *testing.T) {
	for _, tc := range []struct {
		line             string
		containers, imgs []string
		either           []string
	}{
		{line: "docker run hello-world", imgs: []string{"hello-world"}},
		{line: "docker run -it --name box -e A=1 ubuntu bash -c 'ls /x'", containers: []string{"box"}, imgs: []string{"ubuntu"}},
		{line: "docker container run --rm=true -w /tmp busybox:latest sh", imgs: []string{"busybox:latest"}},
		{line: "docker start -a glad_hopper && docker attach glad_hopper", containers: []string{"glad_hopper", "glad_hopper"}},
		{line: "docker commit -m 'a b' box python-ubuntu", containers: []string{"box"}, imgs: []string{"python-ubuntu"}},
		{line: "docker history ubuntu | head", imgs: []string{"ubuntu"}},
		{line: "docker image rm a b", imgs: []string{"a", "b"}},
		{line: "docker rm -f x y", containers: []string{"x", "y"}},
		{line: "docker inspect -f '{{.Id}}' ubuntu", either: []string{"ubuntu"}},
		{line: "docker exec box cat /etc/hostname", containers: []string{"box"}},
		{line: "ID=$(docker run -d busybox sleep 9)", imgs: []string{"busybox"}},
		{line: "docker ps -a; docker images", containers: nil, imgs: nil},
		{line: "echo docker", containers: nil},
		{line: "/usr/local/bin/docker --sandbox s tag ubuntu mine:1", imgs: []string{"ubuntu", "mine:1"}},
		// As a shell runs them: after other commands, under wrappers, in subshells.
		{line: "clear; docker rm box", containers: []string{"box"}},
		{line: "time docker rmi ubuntu", imgs: []string{"ubuntu"}},
		{line: "sudo -u root docker stop box && echo ok", containers: []string{"box"}},
		{line: "FOO=1 docker history ubuntu | head", imgs: []string{"ubuntu"}},
		{line: "(docker container stop -t 1 box)", containers: []string{"box"}},
		{line: "docker image inspect ubuntu; docker inspect --type=container box", containers: []string{"box"}, imgs: []string{"ubuntu"}},
		{line: "docker run -de A=1 busybox", imgs: []string{"busybox"}},
		{line: `echo "docker rm box"`},
		{line: "docker rm 'unterminated"},
		{line: "cat <<EOF\ndocker rm box\nEOF\n"},
	} {
		got := ParseOperands(tc.line)
		if !slices.Equal(got.Containers, tc.containers) || !slices.Equal(got.Images, tc.imgs) || !slices.Equal(got.Either, tc.either) {
			t.Errorf("%s: got %+v; want containers %v images %v either %v", tc.line, got, tc.containers, tc.imgs, tc.either)
		}
	}
}

func TestUsedResolvesOperands(t *testing.T) {
	st := State{
		Containers: map[string]string{"c1aaaa": "glad_hopper|running|1|0|x|y", "c2bbbb": "/other|exited|0|0|x|y"},
		Images:     map[string]string{"sha256:abcdef": "hello-world:latest", "sha256:123456": "ubuntu:latest,mine:1"},
	}
	// Nothing changed, yet the command named a running container and an image.
	cs, is := Used("docker start glad_hopper; docker history mine:1; docker inspect hello-world c2b", st, st)
	if want := []string{"c1aaaa", "c2bbbb"}; !slices.Equal(cs, want) {
		t.Errorf("containers %v, want %v", cs, want)
	}
	if want := []string{"sha256:123456", "sha256:abcdef"}; !slices.Equal(is, want) {
		t.Errorf("images %v, want %v", is, want)
	}
	// A removed container is found in the state before the command.
	after := State{Containers: map[string]string{}, Images: st.Images}
	cs, _ = Used("docker rm other", st, after)
	if !slices.Contains(cs, "c2bbbb") {
		t.Errorf("rm: containers %v lack the removed one", cs)
	}
	// A name that is nothing adds nothing.
	if cs, is := Used("docker start nobody; docker run nothing:here", st, st); len(cs)+len(is) != 0 {
		t.Errorf("unknown names gave %v %v", cs, is)
	}
}
