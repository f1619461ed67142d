package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DockerHub is the registry a name without a host lives on, as credentials name it.
const DockerHub = "https://index.docker.io/v1/"

// ErrOffline is a registry that cannot be reached at all.
var ErrOffline = errors.New("offline")

// PushResult says what a push sent.
type PushResult struct {
	Repository string // as Docker prints it: host/path
	Tag        string
	Layers     []string // short diff IDs, bottom first
	Digest     string
	Size       int64 // the manifest's
}

// Push sends an image to its registry under the name given (which must be a tag of
// it), with the credentials `login` stored, as `docker push` does.
func (sb *Sandbox) Push(ctx context.Context, refStr string) (PushResult, error) {
	ref, err := store.ParseRef(refStr)
	if err != nil {
		return PushResult{}, err
	}
	img, err := sb.Image(ref.String())
	if err != nil {
		//lint:ignore ST1005 Docker's own message, which learners search for
		return PushResult{}, fmt.Errorf("An image does not exist locally with the tag: %s", refStr)
	}
	v1img, err := sb.Store.V1Image(img)
	if err != nil {
		return PushResult{}, err
	}
	tag, err := name.NewTag(ref.Remote())
	if err != nil {
		return PushResult{}, fmt.Errorf("%w: %v", store.ErrBadRef, err)
	}
	res := PushResult{Repository: tag.Context().String(), Tag: tag.TagStr()}
	if err := remote.Write(tag, v1img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return res, registryError("pushing "+refStr, err)
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		res.Layers = append(res.Layers, store.ShortID(d.Hex))
	}
	dig, _ := v1img.Digest()
	m, _ := v1img.RawManifest()
	res.Digest, res.Size = dig.String(), int64(len(m))
	return res, nil
}

// Login checks the credentials against the registry (Docker Hub when server is "")
// and stores them in Docker's config file ($DOCKER_CONFIG, else ~/.docker), where
// pull and push find them, as `docker login` does.
func Login(ctx context.Context, server, user, password string) error {
	reg, key, err := registryOf(server)
	if err != nil {
		return err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	if _, err := transport.NewWithContext(ctx, reg, auth, http.DefaultTransport, []string{reg.Scope(transport.PullScope)}); err != nil {
		return registryError("login to "+reg.RegistryStr(), err)
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return err
	}
	if err := cf.GetCredentialsStore(key).Store(types.AuthConfig{Username: user, Password: password, ServerAddress: key}); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	return cf.Save()
}

// Logout forgets the registry's credentials; false when there were none.
func Logout(server string) (string, bool, error) {
	_, key, err := registryOf(server)
	if err != nil {
		return "", false, err
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return key, false, err
	}
	if _, ok := cf.GetAuthConfigs()[key]; !ok {
		return key, false, nil
	}
	if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
		return key, false, err
	}
	return key, true, cf.Save()
}

// registryOf is the registry and the key its credentials are stored under.
func registryOf(server string) (name.Registry, string, error) {
	if server == "" || server == DockerHub || server == "docker.io" || server == "index.docker.io" {
		reg, _ := name.NewRegistry(name.DefaultRegistry)
		return reg, DockerHub, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://"), "/")
	reg, err := name.NewRegistry(host)
	if err != nil {
		return name.Registry{}, "", fmt.Errorf("%w: %v", store.ErrBadRef, err)
	}
	return reg, host, nil
}

// SearchResult is one row of `docker search`.
type SearchResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Stars       int    `json:"star_count"`
	Official    bool   `json:"is_official"`
	Automated   bool   `json:"is_automated"`
}

// Search asks Docker Hub's search for term, as `docker search` does. Without a
// network it fails with ErrOffline.
func Search(ctx context.Context, term string, limit int) ([]SearchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	u := "https://index.docker.io/v1/search?q=" + url.QueryEscape(term) + fmt.Sprintf("&n=%d", limit)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, registryError("searching Docker Hub", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("searching Docker Hub: %s", resp.Status)
	}
	var body struct {
		Results []SearchResult `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("searching Docker Hub: %w", err)
	}
	return body.Results, nil
}

// registryError says "offline" when the registry could not be reached at all.
func registryError(what string, err error) error {
	var dns *net.DNSError
	var op *net.OpError
	if errors.As(err, &dns) || errors.As(err, &op) {
		return fmt.Errorf("%s: %w: the registry cannot be reached (%v)", what, ErrOffline, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
