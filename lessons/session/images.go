package session

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

// ImagesEnv names folders of image archives (docker save tars), separated like
// PATH, where lessons look for images they lack before pulling them.
const ImagesEnv = "DOCKLING_IMAGES"

// Labels dockling's own images carry (see sandbox/builtin).
const (
	labelStandin = "org.dockling.standin"
	labelBuiltin = "org.dockling.builtin"
)

// isStandin reports whether img is dockling's stand-in rather than the image ref
// names: labelled as a stand-in, or a built-in image tagged with another name.
func isStandin(img *store.Image, ref store.Ref) bool {
	if img == nil || img.Config == nil {
		return false
	}
	labels := img.Config.Config.Labels
	if _, ok := labels[labelStandin]; ok {
		return true
	}
	return labels[labelBuiltin] == "true" && !sandbox.CanBuild(ref)
}

// errNotFound: no source had the image.
var errNotFound = errors.New("not found")

// copyFromSandboxes copies ref into sb (saying so on log) from the first other sandbox under the data
// root that holds the real image (the default sandbox first, then by name), through
// a docker-save stream: what the learner pulled, loaded or imported once serves
// every lesson. It returns the name of the sandbox it came from.
func copyFromSandboxes(sb *sandbox.Sandbox, dataRoot string, ref store.Ref, log io.Writer) (string, error) {
	entries, err := os.ReadDir(filepath.Join(dataRoot, "sandboxes"))
	if err != nil {
		return "", errNotFound
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != sandbox.DefaultSandbox {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == sandbox.DefaultSandbox && e.IsDir() }) {
		names = append([]string{sandbox.DefaultSandbox}, names...)
	}
	own, _ := filepath.Abs(sb.Dir())
	for _, name := range names {
		dir, err := sandbox.Dir(dataRoot, name)
		if err != nil {
			continue
		}
		if abs, _ := filepath.Abs(dir); abs == own {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "image", "overlay2", "repositories.json")); err != nil {
			continue // not a sandbox with images: leave it untouched
		}
		src, err := sandbox.Open(dir)
		if err != nil {
			continue
		}
		img, err := src.Store.Lookup(ref.String())
		if err != nil || isStandin(img, ref) {
			continue
		}
		// A real image takes seconds to copy: say so before, not only after.
		fmt.Fprintf(log, "Copying %s from your sandbox %q…\n", ref, name)
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(src.Save(pw, []string{ref.String()})) }()
		_, err = sb.Load(pr)
		pr.CloseWithError(err) // stops the saving side when loading gave up
		if err != nil {
			return "", fmt.Errorf("copying %s from sandbox %s: %w", ref, name, err)
		}
		return name, nil
	}
	return "", errNotFound
}

// imageDirs are the archive folders to search: dirs, then $DOCKLING_IMAGES.
func imageDirs(dirs []string) []string {
	out := slices.Clone(dirs)
	for _, d := range filepath.SplitList(os.Getenv(ImagesEnv)) {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// loadFromDirs loads ref into sb from the first docker-save archive (.tar, .tar.gz,
// .tgz) in dirs whose manifest tags it. It returns the archive's path.
func loadFromDirs(sb *sandbox.Sandbox, dirs []string, ref store.Ref) (string, error) {
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !(strings.HasSuffix(n, ".tar") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".tgz")) {
				continue
			}
			path := filepath.Join(dir, n)
			if !archiveTags(path, ref) {
				continue
			}
			f, err := os.Open(path)
			if err != nil {
				continue
			}
			_, err = sb.Load(f)
			f.Close()
			if err != nil {
				return "", fmt.Errorf("loading %s from %s: %w", ref, path, err)
			}
			return path, nil
		}
	}
	return "", errNotFound
}

// maxManifest bounds the manifest.json read from an archive.
const maxManifest = 1 << 20

// archiveTags reports whether the docker-save archive at path tags ref, reading only
// its manifest.
func archiveTags(path string, ref store.Ref) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, "gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return false
		}
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if filepath.Clean(h.Name) != "manifest.json" {
			continue
		}
		var m []struct{ RepoTags []string }
		if json.NewDecoder(io.LimitReader(tr, maxManifest)).Decode(&m) != nil {
			return false
		}
		for _, d := range m {
			for _, t := range d.RepoTags {
				if r, err := store.ParseRef(t); err == nil && r.String() == ref.String() {
					return true
				}
			}
		}
		return false
	}
}

// probeTimeout bounds the check that the registry can be reached.
const probeTimeout = 5 * time.Second

// probeRegistry checks that Docker Hub's registry answers at all (any HTTP status
// will do: it is reachability, not access, that a lesson needing the network wants).
func probeRegistry(ctx context.Context) error { return probeURL(ctx, registryURL) }

const registryURL = "https://registry-1.docker.io/v2/"

// networkURLs are what a lesson needing the network downloads from while it runs:
// the registry (docker pull) and the package archives apt-get uses in ubuntu and
// debian images. Plain HTTP, as apt itself uses by default.
var networkURLs = []string{registryURL, "http://archive.ubuntu.com/ubuntu/", "http://deb.debian.org/debian/"}

// probeNetwork checks that the network a lesson uses can be reached: any one of
// networkURLs answering will do. A network that reaches the package archives and
// not Docker Hub (a mirror, a proxy) still lets apt-get install work.
func probeNetwork(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(networkURLs))
	for _, u := range networkURLs {
		go func() { errs <- probeURL(ctx, u) }()
	}
	var all []error
	for range networkURLs {
		err := <-errs
		if err == nil {
			return nil
		}
		all = append(all, err)
	}
	return fmt.Errorf("neither Docker Hub's registry nor the Ubuntu and Debian package archives answered (%w)", all[0])
}

func probeURL(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// ProbeRegistry checks that Docker Hub's registry can be reached.
func ProbeRegistry(ctx context.Context) error { return probeRegistry(ctx) }

// FindImage says where the real image ref can be had without a network: "sandbox
// NAME" when one of the sandboxes under dataRoot holds it, an archive's path when
// one in dirs (or $DOCKLING_IMAGES) tags it, "" when neither does. It only reads.
func FindImage(dataRoot string, dirs []string, refStr string) string {
	ref, err := store.ParseRef(refStr)
	if err != nil {
		return ""
	}
	entries, _ := os.ReadDir(filepath.Join(dataRoot, "sandboxes"))
	for _, e := range entries {
		repos := filepath.Join(dataRoot, "sandboxes", e.Name(), "image", "overlay2", "repositories.json")
		if _, err := os.Stat(repos); err != nil {
			continue
		}
		st, err := store.Open(filepath.Join(dataRoot, "sandboxes", e.Name()), store.Options{Rootless: os.Geteuid() != 0})
		if err != nil {
			continue
		}
		if img, err := st.Lookup(ref.String()); err == nil && !isStandin(img, ref) {
			return "sandbox " + e.Name()
		}
	}
	for _, dir := range imageDirs(dirs) {
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			if path := filepath.Join(dir, f.Name()); !f.IsDir() && archiveTags(path, ref) {
				return path
			}
		}
	}
	return ""
}
