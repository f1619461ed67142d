package dockerapi

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockling/dockling/sandbox"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ImageInspect is Docker's image inspect document.
type ImageInspect struct {
	ID          string `json:"Id"`
	RepoTags    []string
	RepoDigests []string
	Parent      string
	Comment     string
	Created     string
	Container   string
	// ContainerConfig is the config of the container a commit was made from, as
	// Docker keeps it (empty for images not made by commit).
	ContainerConfig Config
	DockerVersion   string
	Author          string
	Config          Config
	Architecture    string
	Os              string
	Size            int64
	VirtualSize     int64 // Docker 20.10 prints it, equal to Size
	GraphDriver     GraphDriver
	RootFS          struct {
		Type   string
		Layers []string
	}
	Metadata struct{ LastTagTime string }
}

// GraphDriver is where a layer stack lives, as Docker names it.
type GraphDriver struct {
	Data map[string]string
	Name string
}

// InspectImage is the image name names, in Docker's shape.
func InspectImage(sb *sandbox.Sandbox, name string) (ImageInspect, error) {
	img, err := sb.Image(name)
	if err != nil {
		return ImageInspect{}, err
	}
	out := ImageInspect{
		ID:           img.ID,
		Parent:       img.Parent,
		Created:      Time(img.Config.Created.Time),
		Author:       img.Config.Author,
		Config:       ConfigOf(img.Config.Config),
		Architecture: img.Config.Architecture,
		Os:           img.Config.OS,
		Size:         sb.Store.Size(img),
	}
	out.RepoTags, out.RepoDigests = sb.RepoTags(img.ID)
	if out.RepoTags == nil {
		out.RepoTags = []string{}
	}
	if out.RepoDigests == nil {
		out.RepoDigests = []string{}
	}
	// Fields go-containerregistry's config type does not carry.
	var extra struct {
		Comment         string    `json:"comment"`
		Container       string    `json:"container"`
		ContainerConfig v1.Config `json:"container_config"`
		DockerVersion   string    `json:"docker_version"`
	}
	_ = json.Unmarshal(img.Raw, &extra)
	out.Comment, out.DockerVersion = extra.Comment, extra.DockerVersion
	out.Container, out.ContainerConfig = extra.Container, ConfigOf(extra.ContainerConfig)
	out.VirtualSize = out.Size
	out.RootFS.Type = "layers"
	for _, d := range img.Config.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	out.GraphDriver.Name = "overlay2"
	out.GraphDriver.Data = map[string]string{}
	if top := img.TopLayer(); top != "" {
		if dirs, err := sb.Store.LayerDirs(top); err == nil && len(dirs) > 0 {
			out.GraphDriver.Data["UpperDir"] = dirs[0]
			out.GraphDriver.Data["MergedDir"] = filepath.Join(filepath.Dir(dirs[0]), "merged")
			out.GraphDriver.Data["WorkDir"] = filepath.Join(filepath.Dir(dirs[0]), "work")
			if len(dirs) > 1 {
				out.GraphDriver.Data["LowerDir"] = strings.Join(dirs[1:], ":")
			}
		}
	}
	if !img.LastUpdated.IsZero() {
		out.Metadata.LastTagTime = img.LastUpdated.Format(time.RFC3339Nano)
	}
	return out, nil
}

// Time is t as Docker's documents write times: RFC 3339 with nanoseconds, in UTC
// ("0001-01-01T00:00:00Z" for none).
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
