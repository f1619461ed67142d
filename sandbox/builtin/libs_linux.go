package builtin

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// elfObj is what library resolution needs to know about one ELF file.
type elfObj struct {
	path    string // host path it was found at
	real    string // host path with symlinks resolved
	class   elf.Class
	machine elf.Machine
	interp  string   // PT_INTERP, the dynamic loader; empty for static files
	needed  []string // DT_NEEDED
	runpath []string // DT_RUNPATH entries
	rpath   []string // DT_RPATH entries (ignored by the loader when RUNPATH exists)
}

// errNotELF reports a file that is not an ELF object, e.g. a shell script.
var errNotELF = errors.New("not an ELF file")

// readELF parses the dynamic-linking facts of the file at p.
func readELF(p string) (*elfObj, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(real)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(fh, magic); err != nil || !bytes.Equal(magic, []byte(elf.ELFMAG)) {
		return nil, errNotELF
	}
	f, err := elf.NewFile(fh)
	if err != nil {
		return nil, fmt.Errorf("parsing ELF %s: %w", real, err)
	}
	o := &elfObj{path: p, real: real, class: f.Class, machine: f.Machine}
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(prog.Open())
		if err != nil {
			return nil, fmt.Errorf("reading interpreter of %s: %w", real, err)
		}
		o.interp = string(bytes.TrimRight(b, "\x00"))
	}
	// DynString returns nothing (and no error) for static files without a
	// dynamic section.
	if o.needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return nil, fmt.Errorf("reading DT_NEEDED of %s: %w", real, err)
	}
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, err := f.DynString(tag)
		if err != nil {
			return nil, fmt.Errorf("reading %s of %s: %w", tag, real, err)
		}
		var dirs []string
		for _, v := range vals {
			dirs = append(dirs, filepath.SplitList(v)...)
		}
		if tag == elf.DT_RUNPATH {
			o.runpath = dirs
		} else {
			o.rpath = dirs
		}
	}
	return o, nil
}

// libResolver finds, like the dynamic loader would, the host files an ELF
// executable needs at run time.
type libResolver struct {
	confDirs   []string // from /etc/ld.so.conf and /etc/ld.so.conf.d
	confLoaded bool
}

// deps returns the host paths (as found, before resolving symlinks) of the
// loader and every shared library exe needs, recursively, without duplicates.
func (r *libResolver) deps(exe *elfObj) ([]string, error) {
	var out []string
	added := map[string]bool{}
	add := func(p string) {
		if !added[p] {
			added[p] = true
			out = append(out, p)
		}
	}
	visited := map[string]bool{exe.real: true}
	queue := []*elfObj{exe}
	if exe.interp != "" {
		ld, err := readELF(exe.interp)
		if err != nil {
			return nil, fmt.Errorf("reading loader %s of %s: %w", exe.interp, exe.path, err)
		}
		add(exe.interp)
		visited[ld.real] = true
		queue = append(queue, ld)
	}
	for len(queue) > 0 {
		obj := queue[0]
		queue = queue[1:]
		for _, name := range obj.needed {
			lib, err := r.find(name, obj, exe)
			if err != nil {
				return nil, fmt.Errorf("resolving %s needed by %s: %w", name, obj.path, err)
			}
			// Every path is kept (its symlink chain is recreated in the
			// image), but each real file is only scanned once.
			add(lib.path)
			if !visited[lib.real] {
				visited[lib.real] = true
				queue = append(queue, lib)
			}
		}
	}
	return out, nil
}

// find searches for a DT_NEEDED name in roughly the loader's order: RPATH,
// RUNPATH, the standard directories, then the ld.so.conf directories (the
// host's cache is built from those). A candidate must match the class and
// machine of the object that needs it, so e.g. i386 libraries are skipped.
func (r *libResolver) find(name string, obj, exe *elfObj) (*elfObj, error) {
	if strings.Contains(name, "/") {
		lib, err := readELF(name)
		if err != nil {
			return nil, err
		}
		return lib, nil
	}
	var dirs []string
	if len(obj.runpath) == 0 {
		dirs = append(dirs, expandOrigin(obj.rpath, obj)...)
		if obj != exe && len(exe.runpath) == 0 {
			dirs = append(dirs, expandOrigin(exe.rpath, exe)...)
		}
	}
	dirs = append(dirs, expandOrigin(obj.runpath, obj)...)
	dirs = append(dirs, standardLibDirs(obj.machine, obj.class)...)
	dirs = append(dirs, r.ldConfDirs()...)
	for _, d := range dirs {
		lib, err := readELF(filepath.Join(d, name))
		if err != nil {
			continue // missing, unreadable or not ELF: the loader would move on too
		}
		if lib.class == obj.class && lib.machine == obj.machine {
			return lib, nil
		}
	}
	return nil, fmt.Errorf("not found in %d library directories", len(dirs))
}

// expandOrigin substitutes $ORIGIN in RPATH/RUNPATH entries. Entries using
// other tokens ($LIB, $PLATFORM) or relative paths are dropped: they depend on
// details we cannot reproduce reliably.
func expandOrigin(dirs []string, obj *elfObj) []string {
	origin := filepath.Dir(obj.real)
	var out []string
	for _, d := range dirs {
		d = strings.ReplaceAll(d, "${ORIGIN}", origin)
		d = strings.ReplaceAll(d, "$ORIGIN", origin)
		if d == "" || strings.Contains(d, "$") || !filepath.IsAbs(d) {
			continue
		}
		out = append(out, filepath.Clean(d))
	}
	return out
}

// multiarchTriplets maps ELF machines to Debian-style multiarch directory names.
var multiarchTriplets = map[elf.Machine]string{
	elf.EM_X86_64:  "x86_64-linux-gnu",
	elf.EM_AARCH64: "aarch64-linux-gnu",
	elf.EM_386:     "i386-linux-gnu",
	elf.EM_ARM:     "arm-linux-gnueabihf",
	elf.EM_RISCV:   "riscv64-linux-gnu",
	elf.EM_PPC64:   "powerpc64le-linux-gnu",
	elf.EM_S390:    "s390x-linux-gnu",
}

// standardLibDirs lists the directories the loader searches by default. The
// multiarch ones come first because that is where Debian and Ubuntu keep
// libraries, and going through /lib/<triplet> also records the merged-usr
// /lib symlink in the image.
func standardLibDirs(m elf.Machine, c elf.Class) []string {
	var dirs []string
	if t, ok := multiarchTriplets[m]; ok {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	if c == elf.ELFCLASS64 {
		dirs = append(dirs, "/lib64", "/usr/lib64")
	}
	return append(dirs, "/lib", "/usr/lib")
}

// ldConfDirs reads the host's ld.so.conf (following include lines) and every
// /etc/ld.so.conf.d/*.conf, once. Unreadable files are skipped: they only add
// extra places to look.
func (r *libResolver) ldConfDirs() []string {
	if r.confLoaded {
		return r.confDirs
	}
	r.confLoaded = true
	seenFile := map[string]bool{}
	seenDir := map[string]bool{}
	var parse func(file string, depth int)
	parse = func(file string, depth int) {
		if depth > 8 || seenFile[file] {
			return
		}
		seenFile[file] = true
		data, err := os.ReadFile(file)
		if err != nil {
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			fields := strings.Fields(line)
			switch {
			case len(fields) == 0 || fields[0] == "hwcap":
			case fields[0] == "include":
				for _, pat := range fields[1:] {
					if !filepath.IsAbs(pat) {
						pat = filepath.Join(filepath.Dir(file), pat)
					}
					matches, _ := filepath.Glob(pat) // sorted; a bad pattern just matches nothing
					for _, m := range matches {
						parse(m, depth+1)
					}
				}
			default:
				for _, d := range fields {
					d = strings.TrimRight(d, ":,")
					if filepath.IsAbs(d) && !seenDir[filepath.Clean(d)] {
						seenDir[filepath.Clean(d)] = true
						r.confDirs = append(r.confDirs, filepath.Clean(d))
					}
				}
			}
		}
	}
	parse("/etc/ld.so.conf", 0)
	extra, _ := filepath.Glob("/etc/ld.so.conf.d/*.conf")
	for _, m := range extra {
		parse(m, 1)
	}
	return r.confDirs
}
