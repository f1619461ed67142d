package build

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/dockling/dockling/sandbox"
)

// hostileServer serves ADD's tests: a file whose Content-Disposition names a
// path outside, redirects (one, an endless loop, one to file://) and an endless body.
func hostileServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/file.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="../../evil"`)
		w.Header().Set("Last-Modified", "Tue, 01 Jan 2019 10:00:00 GMT")
		fmt.Fprint(w, "hello")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/file.txt", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/tofile", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 4096)
		for r.Context().Err() == nil {
			if _, err := fmt.Fprint(w, chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000000000")
		fmt.Fprint(w, "x")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func buildWith(t *testing.T, dockerfile string, opts Options) (*sandbox.Sandbox, string, error) {
	t.Helper()
	sb, err := sandbox.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextDir = t.TempDir()
	files(t, opts.ContextDir, map[string]string{"Dockerfile": dockerfile})
	id, err := Build(sb, opts)
	return sb, id, err
}

// ADD of a URL downloads it as Docker does: named after the URL's path (never
// the server's Content-Disposition), mode 0600, the server's modification time,
// following a redirect.
func TestAddURL(t *testing.T) {
	srv := hostileServer(t)
	sb, id, err := buildWith(t, "FROM scratch\nADD "+srv.URL+"/file.txt /dl/\nADD "+srv.URL+"/redirect /r.txt\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dl/file.txt", "r.txt"} {
		if got, err := readImageFile(t, sb, id, name); err != nil || got != "hello" {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	fsys, err := sb.ImageFS(id)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(fsys, "dl/file.txt")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.ModTime().Year() != 2019 {
		t.Errorf("dl/file.txt: mode %v, time %v; want 0600 and the server's 2019", fi.Mode(), fi.ModTime())
	}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if strings.Contains(p, "evil") {
			t.Errorf("the server's Content-Disposition named a file: %s", p)
		}
		return nil
	})
}

// What a hostile or absent server does ends the build with a clear error and
// writes nothing: a redirect loop, a redirect off http, a body larger than the
// builder takes (declared or endless), a closed port, and a URL with no file name.
func TestAddURLRefusesHostileServers(t *testing.T) {
	srv := hostileServer(t)
	cases := []struct {
		url  string
		want string
		is   error
	}{
		{srv.URL + "/loop", "redirects", nil},
		{srv.URL + "/tofile", "only http and https", nil},
		{srv.URL + "/endless", "", ErrDownloadTooLarge},
		{srv.URL + "/declared", "", ErrDownloadTooLarge},
		{"http://127.0.0.1:1/x.txt", "", ErrNeedsNetwork},
		{srv.URL + "/", "cannot determine a file name", nil},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			before := tempDownloads(t)
			_, _, err := buildWith(t, "FROM scratch\nADD "+c.url+" /x\n", Options{MaxDownload: 1 << 20})
			switch {
			case err == nil:
				t.Fatal("built")
			case c.is != nil && !errors.Is(err, c.is):
				t.Errorf("%v, want %v", err, c.is)
			case !strings.Contains(err.Error(), c.want):
				t.Errorf("%v, want %q", err, c.want)
			}
			if after := tempDownloads(t); after != before {
				t.Errorf("downloads left behind: %d before, %d after", before, after)
			}
		})
	}
	if _, _, err := buildWith(t, "FROM scratch\nCOPY "+srv.URL+"/file.txt /x\n", Options{}); err == nil || !strings.Contains(err.Error(), "can't be a URL for COPY") {
		t.Errorf("COPY of a URL: %v", err)
	}
}

func tempDownloads(t *testing.T) int {
	m, err := os.ReadDir(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range m {
		if strings.HasPrefix(e.Name(), "dockling-add-") {
			n++
		}
	}
	return n
}
