package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dockling/dockling/internal/rawfile"
	"github.com/dockling/dockling/sandbox/names"
	"github.com/dockling/dockling/sandbox/runtime"
	"github.com/dockling/dockling/sandbox/store"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Container is a container's record, kept in containers/<id>/config.v2.json in the
// shape Docker uses, with its live state filled in from the runtime when read.
type Container struct {
	ID      string
	Created time.Time
	Path    string
	Args    []string
	Config  v1.Config // Config.Image is the name the user typed
	Image   string    // image ID
	Name    string    // "/name", as Docker stores it
	Driver  string
	LogPath string
	State   ContainerState
	// NetworkSettings names the container's network, as in Docker's record: listings
	// read it here rather than open hostconfig.json (see readContainerIn).
	NetworkSettings NetworkSettings
	HostConfig      HostConfig `json:"-"`
	// volumes: the container's mounts (-v, --mount, --tmpfs, VOLUME), keyed by
	// destination as in Docker's record.
	MountPoints map[string]*MountPoint `json:",omitempty"`
	// RestartCount is how often the restart policy started it again (live, not kept).
	RestartCount int `json:"-"`

	layer *store.RWLayer // set by Create, for StartCreated
}

// ContainerState is Docker's State block.
type ContainerState struct {
	Status     string // created, running, exited
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
}

// HostConfig is the part of hostconfig.json dockling uses.
type HostConfig struct {
	AutoRemove  bool
	NetworkMode string
	// SecurityOpt is --security-opt as Docker records it (a seccomp profile file as
	// its JSON, see ReadSecurityOpts); exec'd processes follow it too.
	SecurityOpt []string
	// volumes: -v and --tmpfs as typed, and --read-only, as Docker records them.
	Binds          []string          `json:",omitempty"`
	Tmpfs          map[string]string `json:",omitempty"`
	ReadonlyRootfs bool              `json:",omitempty"`

	// The "verbs" area's fields (issue 16 item 5): -m, --cpus, --pids-limit.
	Memory    int64 `json:",omitempty"`
	NanoCpus  int64 `json:",omitempty"`
	PidsLimit int64 `json:",omitempty"`
	Init      bool  `json:",omitempty"` // run --init
	// RestartPolicy is run --restart (the shim restarts: see runtime's restart).
	RestartPolicy RestartPolicy `json:",omitzero"`

	// Network area: -p and -P (see network_ports.go).
	PortBindings    PortMap
	PublishAllPorts bool
}

// NameInUseError is Docker's refusal of a taken name, in its words.
type NameInUseError struct{ Name, ID string }

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", e.Name, e.ID)
}
func (e *NameInUseError) Unwrap() error { return ErrNameInUse }

// NoSuchContainerError is Docker's "No such container: NAME".
type NoSuchContainerError struct{ Name string }

func (e *NoSuchContainerError) Error() string { return "No such container: " + e.Name }
func (e *NoSuchContainerError) Unwrap() error { return ErrNoSuchContainer }

// Errors of the container verbs, in Docker's words.
var (
	ErrNameInUse    = errors.New("name already in use")
	ErrRunning      = errors.New("container is running")
	ErrNotRunning   = errors.New("container is not running")
	ErrNoCommand    = errors.New("no command specified")
	ErrBadName      = errors.New("invalid container name")
	containerNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })
)

// CreateOptions are what `docker create` and `docker run` take.
type CreateOptions struct {
	ID          string // preset by PrepareStart; else a new one
	Image       string
	Name        string
	Cmd         []string // replaces the image's CMD when set
	Entrypoint  *string  // replaces the image's ENTRYPOINT when set ("" clears it)
	Env         []string
	WorkingDir  string
	User        string
	Hostname    string
	Tty         bool
	OpenStdin   bool
	NetworkNone bool
	// Network area: --network (see networkMode), -p and -P.
	Network     string
	Publish     []string
	PublishAll  bool
	AutoRemove  bool
	SecurityOpt []string // as ReadSecurityOpts returns them
	// volumes: -v, --mount and --tmpfs, parsed; --read-only.
	Mounts         []MountRequest
	ReadonlyRootfs bool

	// The "verbs" area's options (issue 16 item 5).
	Labels  map[string]string // over the image's labels
	Limits  Limits            // as CheckLimits left them
	Init    bool              // run a static tini as pid 1 before the command
	Restart RestartPolicy     // as ParseRestartPolicy read it
}

// ShortName is the name without Docker's leading "/".
func (c *Container) ShortName() string { return strings.TrimPrefix(c.Name, "/") }

// Command is Path and Args as one line, the way `docker ps` shows it: arguments
// with a space in them are wrapped in single quotes, as Docker does.
func (c *Container) Command() string {
	parts := []string{c.Path}
	for _, a := range c.Args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// WithEnv is env with the -e values of run, create and exec applied as Docker applies
// them: NAME=VALUE sets NAME, and a bare NAME takes the caller's value (or none when
// the caller has none).
func WithEnv(env, flags []string) []string {
	env = append([]string(nil), env...)
	for _, e := range flags {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			var present bool
			if v, present = os.LookupEnv(k); !present {
				continue
			}
		}
		env = setEnv(env, k, v)
	}
	return env
}

func (sb *Sandbox) containerDir(id string) string { return filepath.Join(sb.Store.ContainersDir(), id) }

// Create makes a container from an image: its record and its writable layer.
func (sb *Sandbox) Create(opts CreateOptions) (*Container, error) {
	if opts.Name != "" && !containerNameRE().MatchString(opts.Name) {
		return nil, fmt.Errorf("%w (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", ErrBadName, opts.Name)
	}
	if err := runtime.CheckUser(opts.User); err != nil {
		return nil, err
	}
	if err := CheckSecurityOpts(opts.SecurityOpt); err != nil {
		return nil, err
	}
	img, err := sb.Image(opts.Image)
	if err != nil {
		return nil, err
	}
	cfg := img.Config.Config
	cfg.Image = opts.Image
	if opts.Entrypoint != nil {
		cfg.Entrypoint = nil
		if *opts.Entrypoint != "" {
			cfg.Entrypoint = []string{*opts.Entrypoint}
		}
		cfg.Cmd = nil // a new entrypoint drops the image's CMD, as in Docker
	}
	if len(opts.Cmd) > 0 {
		cfg.Cmd = opts.Cmd
	}
	cfg.Env = WithEnv(cfg.Env, opts.Env)
	if opts.WorkingDir != "" {
		cfg.WorkingDir = opts.WorkingDir
	}
	if opts.User != "" {
		cfg.User = opts.User
	}
	if len(opts.Labels) > 0 {
		labels := maps.Clone(cfg.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, opts.Labels)
		cfg.Labels = labels
	}
	cfg.Tty, cfg.OpenStdin = opts.Tty, opts.OpenStdin
	cfg.AttachStdin, cfg.StdinOnce = opts.OpenStdin, opts.OpenStdin
	cfg.AttachStdout, cfg.AttachStderr = true, true
	argv := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(argv) == 0 {
		return nil, ErrNoCommand // Docker says just this
	}
	driver, err := sb.StorageDriver()
	if err != nil {
		return nil, err
	}
	id := opts.ID
	if id == "" {
		id = store.NewID()
	} else if !store.IsFullID(id) {
		return nil, fmt.Errorf("creating container: id %q is not 64 hex digits", id)
	}
	cfg.Hostname = opts.Hostname
	if cfg.Hostname == "" {
		cfg.Hostname = id[:12]
	}
	c := &Container{
		ID: id, Created: time.Now().UTC(), Path: argv[0], Args: argv[1:], Config: cfg,
		Image: img.ID, Driver: driver.Name,
		LogPath:    filepath.Join(sb.containerDir(id), id+"-json.log"),
		State:      ContainerState{Status: "created"},
		HostConfig: HostConfig{AutoRemove: opts.AutoRemove, NetworkMode: opts.networkMode(), SecurityOpt: opts.SecurityOpt},
	}
	h := &c.HostConfig
	h.Memory, h.NanoCpus, h.PidsLimit = opts.Limits.Memory, opts.Limits.NanoCPUs, opts.Limits.PidsLimit
	h.RestartPolicy = opts.Restart
	if opts.AutoRemove && opts.Restart.Name != "" && opts.Restart.Name != "no" {
		return nil, fmt.Errorf("%w: Conflicting options: --restart and --rm", ErrBadRestart)
	}
	if h.Init = opts.Init; h.Init {
		if _, err := findInit(); err != nil {
			return nil, err
		}
	}
	if err := sb.setupMounts(c, img, opts); err != nil {
		return nil, err
	}
	if err := c.publish(opts); err != nil {
		return nil, err
	}
	err = sb.Store.Write(func(w *store.Writer) error {
		// Names are checked and taken under the store lock, so parallel creates
		// never get the same one.
		records := sb.containerRecords()
		taken := namesOf(records)
		joinNetwork(c, records)
		if err := c.choosePorts(); err != nil {
			return err
		}
		if opts.Name != "" {
			n := "/" + strings.TrimPrefix(opts.Name, "/")
			if other, ok := taken[n]; ok {
				return &NameInUseError{Name: n, ID: other}
			}
			c.Name = n
		} else {
			for retry := 0; ; retry++ {
				n := "/" + names.Generate(retry)
				if _, ok := taken[n]; !ok {
					c.Name = n
					break
				}
			}
		}
		if err := os.MkdirAll(sb.containerDir(id), 0o700); err != nil {
			return fmt.Errorf("creating container: %w", err)
		}
		// The layer's and the container's records are written in one batch: few
		// waits for the disk, the container's record last. A --rm container does
		// not outlive its run, so after a crash it is garbage however it was
		// written (system check and the next listing remove it): no waits at all.
		b := store.Batch{NoSync: opts.AutoRemove}
		rw, err := w.CreateRWLayer(id, img.TopLayer(), driver.Name, &b)
		if err != nil {
			os.RemoveAll(sb.containerDir(id))
			return err
		}
		c.layer = &rw
		err = sb.addContainerRecord(&b, c)
		if err == nil {
			err = b.Commit()
		}
		if err != nil {
			w.DiscardRWLayer(rw)
			os.RemoveAll(sb.containerDir(id))
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// addContainerRecord adds hostconfig.json and, in the last step, config.v2.json (what
// makes the container exist) to b.
func (sb *Sandbox) addContainerRecord(b *store.Batch, c *Container) error {
	dir := sb.containerDir(c.ID)
	hc, err := json.Marshal(c.HostConfig)
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(c)
	if err != nil {
		return err
	}
	b.Put(store.StepContent, filepath.Join(dir, "hostconfig.json"), hc, 0o644)
	b.Put(store.StepRecord, filepath.Join(dir, "config.v2.json"), cfg, 0o644)
	return nil
}

// What a read of a container's record takes in.
type readMode int

const (
	readRecord  readMode = iota // config.v2.json alone: names, images, commands
	readListing                 // and the live state; hostconfig.json only for an exited container (AutoRemove)
	readFull                    // everything
)

// readContainer reads a container's whole record and live state.
func (sb *Sandbox) readContainer(id string) (*Container, error) {
	d, err := rawfile.OpenDir(sb.Store.ContainersDir())
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return sb.readContainerIn(d, id, readFull)
}

// readContainerIn reads the container id in the containers folder open as d. Listing
// 200 containers, hostconfig.json is a third of the files opened: its network is in
// the record too, and its AutoRemove matters once the container has exited.
func (sb *Sandbox) readContainerIn(d *rawfile.Dir, id string, mode readMode) (*Container, error) {
	c := &Container{}
	if err := d.Parse(id+"/config.v2.json", func(b []byte) error {
		if err := json.Unmarshal(b, c); err != nil {
			return fmt.Errorf("reading container %s: %w", shortID(id), err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if mode != readRecord {
		st, err := runtime.StatusIn(d, id)
		fillState(c, st, err)
		// Paused by `docker pause` (a commit's brief freeze does not count).
		if c.State.Running && d.Parse(id+"/"+pausedFile, func([]byte) error { return nil }) == nil {
			c.State.Paused, c.State.Status = true, "paused"
		}
	}
	for n := range c.NetworkSettings.Networks {
		c.HostConfig.NetworkMode = n
	}
	// Records written before NetworkSettings have no network but in hostconfig.json.
	if mode == readFull || c.HostConfig.NetworkMode == "" || (mode == readListing && c.State.Status == "exited") {
		_ = d.Parse(id+"/hostconfig.json", func(b []byte) error { return json.Unmarshal(b, &c.HostConfig) })
	}
	if mode != readRecord {
		c.NetworkSettings.settle(c.State.Running)
	}
	return c, nil
}

// fillState merges the runtime's view (running, exit code, times) into the record.
func fillState(c *Container, st runtime.State, err error) {
	if err != nil || st.Status == "" || st.Status == "created" {
		return
	}
	c.State.Status = st.Status
	// A command that could not be executed never ran: Docker shows such a
	// container as Created, with the exit code of the failure.
	if st.Status == "exited" && st.Error != "" && (st.ExitCode == 126 || st.ExitCode == 127) {
		c.State.Status = "created"
	}
	c.State.Running = st.Status == "running"
	c.State.Pid = st.Pid
	c.State.ExitCode = st.ExitCode
	c.State.StartedAt = st.StartedAt
	c.State.FinishedAt = st.FinishedAt
	c.State.Error = st.Error
	c.RestartCount = st.RestartCount
	if !c.State.Running {
		c.State.Pid = 0
	}
}

// namesOf maps the containers' names to their IDs.
func namesOf(records []*Container) map[string]string {
	out := map[string]string{}
	for _, c := range records {
		out[c.Name] = c.ID
	}
	return out
}

// Containers lists every container, newest first, with its live state. HostConfig's
// AutoRemove is read for exited containers only (Container has it for any).
func (sb *Sandbox) Containers() ([]*Container, error) { return sb.listContainers(readListing) }

// containerRecords lists the records alone (names, images), without asking the
// runtime about each container; unreadable entries are skipped.
func (sb *Sandbox) containerRecords() []*Container {
	cs, _ := sb.listContainers(readRecord)
	return cs
}

func (sb *Sandbox) listContainers(mode readMode) ([]*Container, error) {
	d, err := rawfile.OpenDir(sb.Store.ContainersDir())
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	defer d.Close()
	entries, err := d.Names()
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	// Reading a record is a few small files and mostly system calls: with many
	// containers, a few readers at once finish sooner (ps -a with 200).
	read := make([]*Container, len(entries))
	workers := min(4, (len(entries)+31)/32)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(entries); i = int(next.Add(1) - 1) {
				if c, err := sb.readContainerIn(d, entries[i], mode); err == nil {
					read[i] = c
				} // else a half-created container: system check's business
			}
		})
	}
	wg.Wait()
	var out []*Container
	for _, c := range read {
		if c != nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { // ties by ID: the folder lists in no order
		return store.NewestFirst(out[i].Created, out[j].Created, out[i].ID, out[j].ID)
	})
	return out, nil
}

// Container finds a container by full ID, name, or unique ID prefix.
func (sb *Sandbox) Container(name string) (*Container, error) {
	if name == "" {
		return nil, &NoSuchContainerError{Name: name}
	}
	// A full ID (what run, start and rm --rm pass on) wins over names and prefixes, as
	// in Docker: read that one record rather than every container's.
	if store.IsFullID(name) {
		if c, err := sb.readContainer(name); err == nil {
			return c, nil
		}
	}
	// Names and IDs are in the records: the one found is then read whole, with its state.
	cs, err := sb.listContainers(readRecord)
	if err != nil {
		return nil, err
	}
	want := "/" + strings.TrimPrefix(name, "/")
	var match *Container
	for _, c := range cs {
		if c.ID == name || c.Name == want {
			match = c
			break
		}
	}
	if match == nil {
		for _, c := range cs {
			if strings.HasPrefix(c.ID, name) {
				if match != nil {
					return nil, fmt.Errorf("multiple IDs found with provided prefix: %s", name)
				}
				match = c
			}
		}
	}
	if match == nil {
		return nil, &NoSuchContainerError{Name: name}
	}
	c, err := sb.readContainer(match.ID)
	if err != nil {
		return nil, &NoSuchContainerError{Name: name} // removed meanwhile
	}
	return c, nil
}

func shortID(id string) string { return store.ShortID(id) }
