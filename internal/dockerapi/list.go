package dockerapi

import (
	"fmt"
	"strconv"
	"time"

	"github.com/docker/go-units"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
)

// ContainerRow is one row of `docker ps`; its fields are the --format names.
type ContainerRow struct {
	ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status, Size, Names, Labels, Mounts, Networks string
}

// ImageRow is one row of `docker images`; its fields are the --format names.
type ImageRow struct {
	Containers   string
	CreatedAt    string
	CreatedSince string
	Digest       string
	ID           string
	Repository   string
	SharedSize   string
	Size         string
	Tag          string
	UniqueSize   string
	VirtualSize  string
}

// RowOptions say how rows are written: --no-trunc, and the time "ago" counts from.
type RowOptions struct {
	Now     time.Time
	NoTrunc bool
	// Size fills a container row's Size: its writable layer, and with the image's
	// layers (ps -s).
	Size bool
	// images caches what each image name a container was made from names now.
	images map[string]string
}

// NewContainerRow is c as a ps row.
func NewContainerRow(sb *sandbox.Sandbox, o *RowOptions, c *sandbox.Container) ContainerRow {
	r := ContainerRow{
		ID: c.ID, Image: c.Config.Image, Command: c.Command(), Names: c.ShortName(),
		CreatedAt:  c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		RunningFor: Since(o.Now, c.Created), State: c.State.Status, Status: StatusText(c, o.Now),
		Networks: sandbox.NetworkName(c.HostConfig.NetworkMode), Ports: c.PortsColumn(),
	}
	if o.images == nil {
		o.images = map[string]string{}
	}
	// If the name the container was created with now names another image, show the ID.
	id, ok := o.images[c.Config.Image]
	if !ok {
		if img, err := sb.Store.Lookup(c.Config.Image); err == nil {
			id = img.ID
		}
		o.images[c.Config.Image] = id
	}
	if id != c.Image {
		r.Image = store.ShortID(c.Image)
	}
	if !o.NoTrunc {
		r.ID = store.ShortID(r.ID)
		r.Command = Ellipsis(r.Command, 20)
	}
	r.Command = strconv.Quote(r.Command)
	if o.Size {
		rw, virtual := sb.ContainerSize(c), int64(0)
		if img, err := sb.Image(c.Image); err == nil {
			virtual = sb.Store.Size(img)
		}
		r.Size = fmt.Sprintf("%s (virtual %s)", HumanSize(rw), HumanSize(rw+virtual))
	}
	return r
}

// NewImageRow is im as an images row.
func NewImageRow(o *RowOptions, im sandbox.ImageSummary) ImageRow {
	r := ImageRow{
		Containers: "N/A", SharedSize: "N/A", UniqueSize: "N/A",
		CreatedAt:    im.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		CreatedSince: Since(o.Now, im.Created),
		Digest:       "<none>",
		ID:           store.ShortID(im.ID),
		Repository:   im.Repository,
		Size:         HumanSize(im.Size),
		Tag:          im.Tag,
		VirtualSize:  HumanSize(im.Size),
	}
	if im.Digest != "" {
		r.Digest = im.Digest
	}
	if o.NoTrunc {
		r.ID = im.ID
	}
	return r
}

// StatusText is Docker's STATUS column.
func StatusText(c *sandbox.Container, now time.Time) string {
	switch c.State.Status {
	case "running":
		return "Up " + units.HumanDuration(now.Sub(c.State.StartedAt))
	case "paused":
		return "Up " + units.HumanDuration(now.Sub(c.State.StartedAt)) + " (Paused)"
	case "exited":
		return fmt.Sprintf("Exited (%d) %s ago", c.State.ExitCode, units.HumanDuration(now.Sub(c.State.FinishedAt)))
	}
	return "Created"
}

// Ellipsis cuts s to n runes, the last one "…", as Docker's tables do.
func Ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// HumanSize is Docker's SIZE column: 3 significant digits, decimal units.
func HumanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

// Since is Docker's CREATED column: "5 seconds ago", "3 months ago".
func Since(now, t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}

// StatsRow is one row of `docker stats`; its fields are the --format names.
type StatsRow struct {
	BlockIO, CPUPerc, Container, ID, MemPerc, MemUsage, Name, NetIO, PIDs string
}

// NewStatsRow is s as a stats row; container is the name or ID it was asked by.
func NewStatsRow(s sandbox.Stats, container string, noTrunc bool) StatsRow {
	r := StatsRow{
		Container: container, ID: s.ID, Name: s.Name,
		CPUPerc:  fmt.Sprintf("%.2f%%", s.CPUPercent),
		MemUsage: units.BytesSize(float64(s.MemUsage)) + " / " + units.BytesSize(float64(s.MemLimit)),
		MemPerc:  "0.00%",
		NetIO:    HumanSize(int64(s.NetRx)) + " / " + HumanSize(int64(s.NetTx)),
		BlockIO:  HumanSize(int64(s.BlockRead)) + " / " + HumanSize(int64(s.BlockWrite)),
		PIDs:     strconv.Itoa(s.PIDs),
	}
	if s.MemLimit > 0 {
		r.MemPerc = fmt.Sprintf("%.2f%%", float64(s.MemUsage)/float64(s.MemLimit)*100)
	}
	if !noTrunc {
		r.ID = store.ShortID(r.ID)
	}
	return r
}
