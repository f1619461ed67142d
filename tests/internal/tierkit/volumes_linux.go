package tierkit

import (
	"os"
	"path/filepath"
)

// Volumes is the volumes lecture: a named volume outlives its container and takes the
// image's files on first use, a bind-mounted folder shows the host's edits, and
// docker cp copies in and out, running and stopped.
func Volumes(r *Recorder) {
	r.T.Helper()
	res := r.Do("volumes: create", Text, "volume", "create", "notes")
	r.Want(res, 0, "notes", Equals("notes"))
	r.Do("volumes: ls", Table, "volume", "ls")
	res = r.Do("volumes: write", Text, "run", "--name", "writer", "-v", "notes:/notes", "ubuntu", "bash", "-c", "echo kept > /notes/note.txt")
	r.Want(res, 0, "no output", Equals(""))
	r.Do("volumes: in use", Text, "volume", "rm", "notes")
	r.Do("volumes: inspect Mounts", Text, "inspect", "-f", "{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}}{{end}}", "writer")
	res = r.Do("volumes: rm writer", Text, "rm", "writer")
	r.Want(res, 0, "writer", Equals("writer"))
	res = r.Do("volumes: read it again", Text, "run", "--rm", "-v", "notes:/notes", "ubuntu", "cat", "/notes/note.txt")
	r.Want(res, 0, "kept", Equals("kept"))
	res = r.Do("volumes: filled from the image", Text, "run", "--rm", "-v", "etc:/etc", "ubuntu", "grep", "-c", "^root:", "/etc/passwd")
	r.Want(res, 0, "1", Equals("1"))
	r.Do("volumes: bad name", Text, "volume", "create", "../x")
	r.Do("volumes: mount without target", Text, "run", "--rm", "--mount", "type=volume,source=notes", "ubuntu", "true")

	// One path for every engine (they run in turn): it is part of the command compared.
	site := filepath.Join(os.TempDir(), "tierkit-volumes-site")
	os.RemoveAll(site)
	if err := os.Mkdir(site, 0o755); err != nil {
		r.T.Fatal(err)
	}
	defer os.RemoveAll(site)
	// The unprivileged engine's container root is a plain user here: it may write too.
	if err := os.Chmod(site, 0o777); err != nil {
		r.T.Fatal(err)
	}
	page := filepath.Join(site, "index.html")
	if err := os.WriteFile(page, []byte("version 1\n"), 0o644); err != nil {
		r.T.Fatal(err)
	}
	res = r.Do("volumes: bind mount", Text, "run", "-d", "--name", "web", "-v", site+":/srv", "ubuntu", "sleep", "600")
	r.Check(res, res.Code == 0, "want the container started")
	if err := os.WriteFile(page, []byte("version 2\n"), 0o644); err != nil {
		r.T.Fatal(err)
	}
	res = r.Do("volumes: the host's edit, inside", Text, "exec", "web", "cat", "/srv/index.html")
	r.Want(res, 0, "version 2", Equals("version 2"))

	res = r.Do("volumes: cp in", Text, "cp", page, "web:/tmp/page.html")
	r.Want(res, 0, "no output", Equals(""))
	out := filepath.Join(site, "out.html")
	res = r.Do("volumes: cp out", Text, "cp", "web:/tmp/page.html", out)
	b, _ := os.ReadFile(out)
	r.Check(res, res.Code == 0 && string(b) == "version 2\n", "want the page copied back, got %q", b)
	r.Do("volumes: cp a missing path", Text, "cp", "web:/nope", out)
	r.Do("volumes: stop", Text, "stop", "-t", "0", "web")
	res = r.Do("volumes: cp out of a stopped container", Text, "cp", "web:/tmp/page.html", filepath.Join(site, "again.html"))
	r.Check(res, res.Code == 0, "want a stopped container copied from")
	r.Do("volumes: rm -f web", Text, "rm", "-f", "web")
	res = r.Do("volumes: rm the volumes", Text, "volume", "rm", "notes", "etc")
	r.Want(res, 0, "their names", Equals("notes\netc"))
}
