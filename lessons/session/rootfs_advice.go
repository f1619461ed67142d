package session

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/dockling/dockling/sandbox/store"
)

// osReleaseFile is read for the host's distribution (a variable for tests).
var osReleaseFile = "/etc/os-release"

// hostRelease is what os-release says of this computer's distribution.
type hostRelease struct {
	ID, Codename, Pretty string
}

// readHostRelease reads osReleaseFile; a field it lacks is "".
func readHostRelease() hostRelease {
	var h hostRelease
	f, err := os.Open(osReleaseFile)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			h.ID = v
		case "VERSION_CODENAME":
			h.Codename = v
		case "PRETTY_NAME":
			h.Pretty = v
		}
	}
	return h
}

// rootfsAdvice is the one way to make a Debian or Ubuntu image without a registry that
// works on this computer: debootstrap of the host's own release (its scripts and
// keyring are there; another distribution's, such as noble's on Debian 12, are not),
// imported at the lesson's prompt with bash as its command, as the real image has.
// It is "" where the host is neither, or ref names another image.
func rootfsAdvice(ref store.Ref, h hostRelease) string {
	repo := strings.TrimPrefix(ref.Repo(), "library/")
	if repo != "ubuntu" && repo != "debian" || h.Codename == "" || (h.ID != "debian" && h.ID != "ubuntu") {
		return ""
	}
	name := ref.String()
	if ref.Tag == "latest" && ref.Digest == "" {
		name = repo
	}
	tar := "/tmp/" + h.Codename + ".tar"
	var b strings.Builder
	fmt.Fprintf(&b, "Without a registry, on this computer (%s): make the image from %s's own packages.\n", h.Pretty, h.Codename)
	// The lesson's prompt may be a user namespace's root, where sudo does not work.
	fmt.Fprintf(&b, "  1. As root, in a terminal of your own (sudo does not work at the lesson's prompt), with the package mirror reachable:\n")
	fmt.Fprintf(&b, "     sudo apt-get install debootstrap\n")
	fmt.Fprintf(&b, "     sudo debootstrap %s /tmp/%s && sudo tar -C /tmp/%s -cf %s .\n", h.Codename, h.Codename, h.Codename, tar)
	fmt.Fprintf(&b, "  2. Then at this lesson's prompt:\n")
	fmt.Fprintf(&b, "     docker import --change 'CMD [\"bash\"]' %s %s\n", tar, name)
	if repo != h.ID {
		fmt.Fprintf(&b, "  It is %s %s under the name %s: apt-get and bash work as in %s.\n", h.ID, h.Codename, name, repo)
	}
	return b.String()
}
