package cmd_test

import (
	"archive/tar"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockling/dockling/cmd"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes this test binary double as the dockling and docker commands the
// scripts call, and as the re-executed shim and container init.
func TestMain(m *testing.M) {
	runtime.Init()
	testscript.Main(m, map[string]func(){
		"dockling": func() { os.Exit(cmd.Main()) },
		"docker":   func() { os.Exit(cmd.Main()) },
	})
}

// TestScripts runs every cmd/testdata/script/*.txtar: end-to-end behaviour of the
// command line, one behaviour per file.
func TestScripts(t *testing.T) {
	userSetup(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			// Every script gets its own data root, so scripts never see each other.
			env.Setenv("DOCKLING_ROOT", filepath.Join(env.WorkDir, ".dockling"))
			if err := setupUser(env); err != nil {
				return err
			}
			env.Setenv("NO_COLOR", "1")
			// Whatever a script leaves running (also when it fails) is killed and removed.
			env.Defer(func() { removeAllContainers(filepath.Join(env.WorkDir, ".dockling")) })
			// A registry on loopback (go-containerregistry's in-memory one) with one
			// small image, for pull.
			srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
			env.Defer(srv.Close)
			host := strings.TrimPrefix(srv.URL, "http://")
			env.Setenv("REGISTRY", host)
			img, err := random.Image(2048, 2)
			if err != nil {
				return err
			}
			ref, err := name.ParseReference(host + "/test/app:v1")
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img); err != nil {
				return err
			}
			digest, _ := img.Digest()
			env.Setenv("APP_DIGEST", digest.String())
			// Hostile archives are made here, not stored, so each is exactly its attack.
			return writeEvilTar(filepath.Join(env.WorkDir, "evil.tar"))
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "rootless":
				return os.Geteuid() == 0 && userReason() == "", nil
			case "cgroup-v2":
				_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
				return err == nil, nil
			}
			return false, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"as-user":     asUser,
			"bundle-edit": bundleEdit,
			"normalize":   normalize,
			"http-get":    httpGet,
			"host-listen": hostListen,
		},
		RequireExplicitExec: true,
	})
}

// writeEvilTar writes a tarball whose second entry climbs out of the root.
func writeEvilTar(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, n := range []string{"ok.txt", "../../escaped.txt"} {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write([]byte("x\n")); err != nil {
			return err
		}
	}
	return tw.Close()
}

// removeAllContainers force-removes every container of every sandbox under root.
func removeAllContainers(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "sandboxes", "*"))
	for _, d := range dirs {
		sb, err := sandbox.Open(d)
		if err != nil {
			continue
		}
		cs, _ := sb.Containers()
		for _, c := range cs {
			sb.Remove(c.ID, true)
		}
	}
}
