package builtin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// coreTools are the commands the shell-based images carry when present on
// the host. "sh" comes first so scripts (e.g. Debian's which) can rely on it.
// Tools that need a terminfo database (clear, less, more) are left out.
var coreTools = []string{
	"sh", "ls", "cat", "echo", "mkdir", "rmdir", "rm", "cp", "mv", "ln",
	"touch", "sleep", "true", "false", "env", "id", "whoami", "hostname",
	"ps", "grep", "sed", "head", "tail", "wc", "sort", "uniq", "find",
	"chmod", "chown", "chgrp", "date", "uname", "pwd", "printf", "test", "[",
	"basename", "dirname", "readlink", "realpath", "stat", "df", "du",
	"kill", "tee", "tr", "cut", "xargs", "which", "seq", "nproc", "md5sum",
	"sha256sum",
}

// binDirAliases are made symlinks to /bin so that "#!/usr/bin/..." lines and
// PATH lookups find the one real /bin directory. /sbin and /usr/sbin stay
// empty directories: as symlinks they would come first in PATH and make
// "which ls" answer /usr/sbin/ls; this way it says /usr/bin/ls as on Ubuntu.
var binDirAliases = map[string]string{
	"/usr/bin": "../bin",
}

func defaultHost() hostConfig {
	var bb []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if filepath.IsAbs(d) {
			bb = append(bb, d)
		}
	}
	bb = append(bb, "/bin", "/usr/bin", "/sbin", "/usr/sbin")
	return hostConfig{
		busyboxDirs: bb,
		// Fixed system directories, not PATH, so the image does not depend on
		// who builds it.
		toolDirs: []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"},
	}
}

// hostBuilder assembles an image tree from host files.
type hostBuilder struct {
	host   hostConfig
	t      *tree
	libs   libResolver
	byReal map[string]string // real host file -> name it got in /bin
}

func newHostBuilder(host hostConfig, rootShell string) (*hostBuilder, error) {
	b := &hostBuilder{host: host, t: newTree(), byReal: map[string]string{}}
	if err := b.skeleton(rootShell); err != nil {
		return nil, fmt.Errorf("creating base filesystem: %w", err)
	}
	return b, nil
}

func buildBusybox(host hostConfig) (*Image, error) {
	b, err := newHostBuilder(host, "/bin/sh")
	if err != nil {
		return nil, fmt.Errorf("building busybox: %w", err)
	}
	source := "busybox"
	ok, err := b.addBusybox()
	if err != nil {
		return nil, fmt.Errorf("building busybox: %w", err)
	}
	if !ok {
		// No usable busybox: fall back to the host's shell and core utilities.
		source = "shell and core utilities"
		if err := b.addTools(coreTools, "sh"); err != nil {
			return nil, fmt.Errorf("building busybox: %w", err)
		}
	}
	return newImage(imageSpec{
		name:      nameBusybox,
		arch:      runtime.GOARCH,
		tree:      b.t,
		cmd:       []string{"sh"},
		createdBy: fmt.Sprintf("dockling: built-in busybox for %s, from the host's %s", runtime.GOARCH, source),
		labels: map[string]string{
			labelBuiltin:      "true",
			labelBuiltLocally: "from the host's " + source,
			labelNote:         "A small image assembled on this machine from the host's " + source + ", not the official busybox image.",
		},
	})
}

func buildStandin(host hostConfig) (*Image, error) {
	b, err := newHostBuilder(host, "/bin/bash")
	if err != nil {
		return nil, fmt.Errorf("building ubuntu stand-in: %w", err)
	}
	if err := b.addTools(append([]string{"bash"}, coreTools...), "bash", "sh"); err != nil {
		return nil, fmt.Errorf("building ubuntu stand-in: %w", err)
	}
	osRelease := `NAME="dockling stand-in"
PRETTY_NAME="dockling stand-in for ubuntu (built from this host)"
ID=dockling-standin
`
	if err := b.t.file("/etc/os-release", 0o644, []byte(osRelease)); err != nil {
		return nil, fmt.Errorf("building ubuntu stand-in: %w", err)
	}
	return newImage(imageSpec{
		name:      nameStandin,
		arch:      runtime.GOARCH,
		tree:      b.t,
		cmd:       []string{"bash"},
		createdBy: fmt.Sprintf("dockling: built-in ubuntu stand-in for %s, from the host's bash and core utilities", runtime.GOARCH),
		labels: map[string]string{
			labelBuiltin:      "true",
			labelStandin:      "ubuntu",
			labelBuiltLocally: "from the host's bash and core utilities",
			labelNote:         "Not Ubuntu: a stand-in assembled from this host's bash and core utilities so that 'docker run -it ubuntu bash' works offline.",
		},
	})
}

// skeleton adds the directories and /etc files every shell-based image has.
func (b *hostBuilder) skeleton(rootShell string) error {
	dirs := []struct {
		p    string
		mode int64
	}{
		{"/bin", 0o755}, {"/dev", 0o755}, {"/etc", 0o755}, {"/home", 0o755},
		{"/proc", 0o555}, {"/root", 0o700}, {"/sbin", 0o755}, {"/sys", 0o555},
		{"/tmp", 0o1777}, {"/usr", 0o755}, {"/usr/local", 0o755},
		{"/usr/local/bin", 0o755}, {"/usr/sbin", 0o755}, {"/var", 0o755},
	}
	for _, d := range dirs {
		if err := b.t.dir(d.p, d.mode); err != nil {
			return err
		}
	}
	for p, target := range binDirAliases {
		if err := b.t.symlink(p, target); err != nil {
			return err
		}
	}
	files := []struct{ p, content string }{
		{"/etc/passwd", "root:x:0:0:root:/root:" + rootShell + "\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"/etc/group", "root:x:0:\nnogroup:x:65534:\n"},
		// glibc tools (id, whoami, ls -l) look users up through NSS.
		{"/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"},
		// Empty, as in distribution images: the runtime binds each container's own over
		// them; were they missing, every start would create them in the container's layer.
		{"/etc/hostname", ""},
		{"/etc/hosts", ""},
		{"/etc/resolv.conf", ""},
	}
	for _, f := range files {
		if err := b.t.file(f.p, 0o644, []byte(f.content)); err != nil {
			return err
		}
	}
	return nil
}

// addBusybox adds the host's busybox as /bin/busybox plus a symlink per
// applet. It reports false when there is no usable busybox.
func (b *hostBuilder) addBusybox() (bool, error) {
	bin := findExecutable(b.host.busyboxDirs, "busybox")
	if bin == "" {
		return false, nil
	}
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return false, nil
	}
	applets, err := busyboxApplets(real)
	if err != nil || len(applets) == 0 {
		return false, nil
	}
	libs, err := b.runtimeDeps(real)
	if err != nil && !errors.Is(err, errNotELF) {
		return false, nil // e.g. a library we cannot find: use the fallback
	}
	if err := b.addHostPaths(libs); err != nil {
		return false, err
	}
	if err := b.t.hostFile("/bin/busybox", real, 0o755); err != nil {
		return false, err
	}
	for _, a := range applets {
		if err := b.t.symlink("/bin/"+a, "busybox"); err != nil {
			return false, err
		}
	}
	return true, nil
}

// busyboxApplets runs "busybox --list" and returns the applet names, sorted.
func busyboxApplets(bin string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	seen := map[string]bool{}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		n := strings.TrimSpace(sc.Text())
		// Names become paths under /bin: refuse anything that could escape it.
		if n == "" || n == "." || n == ".." || n == "busybox" || strings.ContainsAny(n, "/\x00") || seen[n] {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// addTools copies each named tool found on the host into /bin, with the
// libraries it needs. Missing optional tools are skipped; a missing required
// one is an error.
func (b *hostBuilder) addTools(names []string, required ...string) error {
	for _, name := range names {
		ok, err := b.addTool(name)
		isRequired := slices.Contains(required, name)
		if err != nil && isRequired {
			return err
		}
		if !ok && isRequired {
			return fmt.Errorf("adding %s: not found on the host in %s", name, strings.Join(b.host.toolDirs, ", "))
		}
	}
	return nil
}

// addTool adds /bin/<name> and reports whether it did. The real file behind
// any host symlinks is copied (so /bin/sh is dash or bash itself); a second
// name for an already copied file becomes a symlink to the first.
func (b *hostBuilder) addTool(name string) (bool, error) {
	if b.t.has("/bin/" + name) {
		return true, nil
	}
	bin := findExecutable(b.host.toolDirs, name)
	if bin == "" {
		return false, nil
	}
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return false, fmt.Errorf("adding %s: %w", name, err)
	}
	if first, ok := b.byReal[real]; ok {
		return true, b.t.symlink("/bin/"+name, first)
	}
	libs, err := b.runtimeDeps(real)
	switch {
	case errors.Is(err, errNotELF):
		// A script: keep it only if its interpreter will be in the image.
		interp, err := scriptInterpreter(real)
		if err != nil {
			return false, fmt.Errorf("adding %s: %w", name, err)
		}
		if !b.inBin(interp) {
			return false, nil
		}
	case err != nil:
		return false, fmt.Errorf("adding %s: %w", name, err)
	}
	if err := b.addHostPaths(libs); err != nil {
		return false, fmt.Errorf("adding %s: %w", name, err)
	}
	if err := b.t.hostFile("/bin/"+name, real, 0o755); err != nil {
		return false, fmt.Errorf("adding %s: %w", name, err)
	}
	b.byReal[real] = name
	return true, nil
}

// runtimeDeps returns the loader and libraries the ELF file at real needs.
func (b *hostBuilder) runtimeDeps(real string) ([]string, error) {
	obj, err := readELF(real)
	if err != nil {
		return nil, err
	}
	return b.libs.deps(obj)
}

// inBin reports whether an interpreter path like /bin/sh or /usr/bin/env
// resolves to a file in the image's /bin (all bin directories alias /bin).
func (b *hostBuilder) inBin(interp string) bool {
	dir := path.Dir(interp)
	if dir != "/bin" && binDirAliases[dir] == "" {
		return false
	}
	return b.t.has("/bin/" + path.Base(interp))
}

// scriptInterpreter returns the program named on a "#!" first line; for
// "#!/usr/bin/env prog" it returns prog under /usr/bin, where env finds it
// in the image (PATH covers /usr/bin, which aliases /bin).
func scriptInterpreter(p string) (string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	line, err := bufio.NewReader(fh).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	if !strings.HasPrefix(line, "#!") {
		return "", fmt.Errorf("%s: neither ELF nor a #! script", p)
	}
	fields := strings.Fields(line[2:])
	if len(fields) == 0 {
		return "", fmt.Errorf("%s: empty #! line", p)
	}
	if path.Base(fields[0]) == "env" && len(fields) > 1 && !strings.HasPrefix(fields[1], "-") {
		return "/usr/bin/" + fields[1], nil
	}
	return fields[0], nil
}

// addHostPaths adds each host path at the same place in the image.
func (b *hostBuilder) addHostPaths(paths []string) error {
	for _, p := range paths {
		if _, err := b.addHostChain(p, 0); err != nil {
			return fmt.Errorf("copying %s: %w", p, err)
		}
	}
	return nil
}

// addHostChain puts host path p into the image at the same absolute path.
// Walking one component at a time, every symlink met on the way is recreated
// as-is (e.g. merged-usr "lib" -> "usr/lib", or /lib64/ld-linux-x86-64.so.2
// -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2) and then followed, so the
// same lookups succeed inside the image. Only symlinks on the way to a file
// we chose are followed. It returns the host path of the real file.
func (b *hostBuilder) addHostChain(p string, links int) (string, error) {
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("resolving %q: not an absolute path", p)
	}
	parts := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := filepath.Join(cur, part)
		last := i == len(parts)-1
		fi, err := os.Lstat(next)
		if err != nil {
			return "", err
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			if links++; links > 40 {
				return "", fmt.Errorf("resolving %s: too many levels of symbolic links", p)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", err
			}
			if err := b.t.symlink(next, target); err != nil {
				return "", err
			}
			// cur holds no symlinks, so joining and cleaning is exact.
			resolved := target
			if !filepath.IsAbs(target) {
				resolved = filepath.Join(cur, target)
			}
			return b.addHostChain(filepath.Join(append([]string{resolved}, parts[i+1:]...)...), links)
		case fi.IsDir() && !last:
			if err := b.t.put(next, &entry{kind: kindDir, mode: 0o755, implicit: true}); err != nil {
				return "", err
			}
			cur = next
		case fi.Mode().IsRegular() && last:
			// Permission bits only: never carry setuid/setgid into an image.
			if err := b.t.hostFile(next, next, int64(fi.Mode().Perm())); err != nil {
				return "", err
			}
			return next, nil
		default:
			return "", fmt.Errorf("resolving %s: %s is not a regular file or directory", p, next)
		}
	}
	return "", fmt.Errorf("resolving %s: no file", p)
}

// findExecutable returns the first regular, executable dirs[i]/name.
func findExecutable(dirs []string, name string) string {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}
