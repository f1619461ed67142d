package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox/store"
)

// The way to make ubuntu without a registry is the host's own release: on Debian 12
// debootstrap bookworm (debootstrap noble fails there), on Ubuntu its own codename;
// elsewhere nothing is offered that would not work.
func TestHowToGetFitsTheHost(t *testing.T) {
	ubuntu, _ := store.ParseRef("ubuntu")
	for _, tc := range []struct {
		name, osRelease string
		want, wantNot   []string
	}{
		{"debian12", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_CODENAME=bookworm\n",
			[]string{"sudo debootstrap bookworm /tmp/bookworm && sudo tar -C /tmp/bookworm -cf /tmp/bookworm.tar .",
				`docker import --change 'CMD ["bash"]' /tmp/bookworm.tar ubuntu`, "debian bookworm under the name ubuntu", "Debian GNU/Linux 12"},
			[]string{"noble"}},
		{"ubuntu", "PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nID=ubuntu\nVERSION_CODENAME=noble\n",
			[]string{"sudo debootstrap noble /tmp/noble", `docker import --change 'CMD ["bash"]' /tmp/noble.tar ubuntu`},
			[]string{"under the name"}},
		{"fedora", "ID=fedora\nVERSION_ID=40\n", nil, []string{"debootstrap"}},
		{"none", "", nil, []string{"debootstrap"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "os-release")
			if err := os.WriteFile(p, []byte(tc.osRelease), 0o644); err != nil {
				t.Fatal(err)
			}
			old := osReleaseFile
			osReleaseFile = p
			t.Cleanup(func() { osReleaseFile = old })
			how := howToGet(ubuntu, "")
			for _, w := range tc.want {
				if !strings.Contains(how, w) {
					t.Errorf("missing %q in:\n%s", w, how)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(how, w) {
					t.Errorf("%q should not be in:\n%s", w, how)
				}
			}
		})
	}
	// Only for images a debootstrap can stand for.
	busybox, _ := store.ParseRef("busybox")
	if a := rootfsAdvice(busybox, hostRelease{ID: "debian", Codename: "bookworm"}); a != "" {
		t.Errorf("advice for busybox: %q", a)
	}
}
