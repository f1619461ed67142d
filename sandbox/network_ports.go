package sandbox

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/dockling/dockling/sandbox/runtime"
)

// PortBinding is where a container port is published on the host, in Docker's shape.
type PortBinding struct {
	HostIp   string //nolint:revive // Docker's spelling
	HostPort string
}

// PortMap maps "PORT/PROTO" to its host bindings (none: exposed, not published).
type PortMap map[string][]PortBinding

// ErrBadPublish: a -p value dockling cannot read.
var ErrBadPublish = errors.New("invalid publish spec")

// ErrPortInUse: a published host port is taken (see PortInUseError).
var ErrPortInUse = errors.New("port is already allocated")

// PortInUseError is Docker's refusal of a taken host port: "port is already allocated"
// when another container has it, the userland proxy's bind error otherwise.
type PortInUseError struct {
	Container, Endpoint string
	HostIP, Port, Proto string
	ByContainer         bool
	Err                 error
}

func (e *PortInUseError) Error() string {
	pre := fmt.Sprintf("driver failed programming external connectivity on endpoint %s (%s): ", e.Container, e.Endpoint)
	if e.ByContainer {
		return pre + fmt.Sprintf("Bind for %s:%s failed: port is already allocated", e.HostIP, e.Port)
	}
	if errors.Is(e.Err, syscall.EACCES) {
		return pre + fmt.Sprintf("Error starting userland proxy: cannot expose privileged port %s as an unprivileged user: choose a port of 1024 or above", e.Port)
	}
	return pre + fmt.Sprintf("Error starting userland proxy: listen %s4 %s:%s: bind: address already in use", e.Proto, e.HostIP, e.Port)
}

func (e *PortInUseError) Unwrap() error { return ErrPortInUse }

// ParsePublish reads one -p value: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]. A missing
// host port is "" (a free one is chosen).
func ParsePublish(spec string) (port string, b PortBinding, err error) {
	bad := func(why string) (string, PortBinding, error) {
		return "", PortBinding{}, fmt.Errorf("%w %q: %s", ErrBadPublish, spec, why)
	}
	rest, proto, hasProto := strings.Cut(spec, "/")
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return bad("the protocol must be tcp or udp")
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return bad("expected [IP:][HOSTPORT:]CONTAINERPORT")
	}
	cport := parts[len(parts)-1]
	if !validPort(cport) {
		return bad("the container port must be a number from 1 to 65535")
	}
	if len(parts) >= 2 {
		b.HostPort = parts[len(parts)-2]
		if b.HostPort != "" && !validPort(b.HostPort) {
			return bad("the host port must be a number from 1 to 65535")
		}
	}
	if len(parts) == 3 {
		a, err := netip.ParseAddr(parts[0])
		if err != nil || !a.Is4() {
			return bad("the host address must be an IPv4 address")
		}
		b.HostIp = a.String()
	}
	return cport + "/" + proto, b, nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

// publish records -p and -P in c: HostConfig's bindings as given, and the ports as
// exposed in its config, as Docker does.
func (c *Container) publish(opts CreateOptions) error {
	if err := checkNetwork(c.HostConfig.NetworkMode); err != nil {
		return err
	}
	c.HostConfig.PublishAllPorts = opts.PublishAll
	if len(opts.Publish) == 0 {
		return nil
	}
	if NetworkName(c.HostConfig.NetworkMode) != NetworkBridge {
		// Docker drops them with a warning on host and refuses nothing; dockling says so.
		return fmt.Errorf("%w: -p needs the container's own network (--network bridge), not --network %s", ErrBadPublish, c.HostConfig.NetworkMode)
	}
	c.HostConfig.PortBindings = PortMap{}
	for _, spec := range opts.Publish {
		port, b, err := ParsePublish(spec)
		if err != nil {
			return err
		}
		c.HostConfig.PortBindings[port] = append(c.HostConfig.PortBindings[port], b)
		if c.Config.ExposedPorts == nil {
			c.Config.ExposedPorts = map[string]struct{}{}
		}
		c.Config.ExposedPorts[port] = struct{}{}
	}
	return nil
}

// choosePorts fills NetworkSettings.Ports: every exposed port, with its host bindings,
// a free host port where none was given (and for -P).
func (c *Container) choosePorts() error {
	if NetworkName(c.HostConfig.NetworkMode) != NetworkBridge {
		return nil
	}
	ports := PortMap{}
	for port := range c.Config.ExposedPorts {
		ports[port] = nil
	}
	want := PortMap{}
	for port, bs := range c.HostConfig.PortBindings {
		want[port] = bs
	}
	if c.HostConfig.PublishAllPorts {
		for port := range c.Config.ExposedPorts {
			if _, ok := want[port]; !ok {
				want[port] = []PortBinding{{}}
			}
		}
	}
	for port, bs := range want {
		for _, b := range bs {
			if b.HostIp == "" {
				b.HostIp = "0.0.0.0"
			}
			if b.HostPort == "" {
				p, err := freeHostPort(b.HostIp, protoOf(port))
				if err != nil {
					return fmt.Errorf("choosing a host port for %s: %w", port, err)
				}
				b.HostPort = p
			}
			ports[port] = append(ports[port], b)
		}
	}
	c.NetworkSettings.Ports = ports
	return nil
}

func protoOf(port string) string {
	_, proto, _ := strings.Cut(port, "/")
	return proto
}

// freeHostPort is a port the kernel gives for a listener on ip just now.
func freeHostPort(ip, proto string) (string, error) {
	addr := net.JoinHostPort(ip, "0")
	if proto == "udp" {
		l, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return "", err
		}
		defer l.Close()
		return strconv.Itoa(l.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return "", err
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// portMaps are the published ports as the runtime takes them.
func (ns *NetworkSettings) portMaps() []runtime.PortMap {
	var out []runtime.PortMap
	for port, bs := range ns.Ports {
		num, proto, _ := strings.Cut(port, "/")
		cp, _ := strconv.Atoi(num)
		for _, b := range bs {
			hp, _ := strconv.Atoi(b.HostPort)
			out = append(out, runtime.PortMap{HostIP: b.HostIp, HostPort: hp, ContainerPort: cp, Proto: proto})
		}
	}
	return out
}

// checkPorts refuses a start whose host ports are taken, in Docker's words; others are
// the sandbox's containers, to tell whether one of them has the port.
func (c *Container) checkPorts(others func() []*Container) error {
	for _, m := range c.NetworkSettings.record().portMaps() {
		ip := m.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(m.HostPort))
		var err error
		if m.Proto == "udp" {
			var l net.PacketConn
			if l, err = net.ListenPacket("udp4", addr); err == nil {
				l.Close()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp4", addr); err == nil {
				l.Close()
			}
		}
		if err != nil {
			e := &PortInUseError{Container: c.ShortName(), Endpoint: c.NetworkSettings.EndpointID,
				HostIP: ip, Port: strconv.Itoa(m.HostPort), Proto: m.Proto, Err: err}
			e.ByContainer = publishedBy(others(), c.ID, m)
			return e
		}
	}
	return nil
}

// publishedBy reports whether a running container other than id publishes m's port.
func publishedBy(cs []*Container, id string, m runtime.PortMap) bool {
	for _, o := range cs {
		if o.ID == id || !o.State.Running {
			continue
		}
		for _, om := range o.NetworkSettings.record().portMaps() {
			if om.HostPort == m.HostPort && om.Proto == m.Proto {
				return true
			}
		}
	}
	return false
}

// NoPublicPortError is Docker's answer to `docker port NAME PORT` for a port not published.
type NoPublicPortError struct{ Port, Name string }

func (e *NoPublicPortError) Error() string {
	return fmt.Sprintf("No public port '%s' published for %s", e.Port, e.Name)
}

// PortLines are `docker port`'s lines for c ("80/tcp -> 0.0.0.0:8080"), by port; only
// the addresses of port ("80" or "80/tcp") when it is given.
func (c *Container) PortLines(port string) ([]string, error) {
	if port != "" && !strings.Contains(port, "/") {
		port += "/tcp"
	}
	var out []string
	for _, p := range sortedPorts(c.NetworkSettings.Ports) {
		if port != "" && p != port {
			continue
		}
		for _, b := range c.NetworkSettings.Ports[p] {
			line := net.JoinHostPort(b.HostIp, b.HostPort)
			if port == "" {
				line = p + " -> " + line
			}
			out = append(out, line)
		}
	}
	if port != "" && len(out) == 0 {
		return nil, &NoPublicPortError{Port: port, Name: c.ShortName()}
	}
	return out, nil
}

// PortsColumn is the PORTS column of `docker ps`: "0.0.0.0:8080->80/tcp, 443/tcp".
func (c *Container) PortsColumn() string {
	var out []string
	for _, p := range sortedPorts(c.NetworkSettings.Ports) {
		bs := c.NetworkSettings.Ports[p]
		if len(bs) == 0 {
			out = append(out, p)
		}
		for _, b := range bs {
			out = append(out, net.JoinHostPort(b.HostIp, b.HostPort)+"->"+p)
		}
	}
	return strings.Join(out, ", ")
}

// sortedPorts are m's keys ("80/tcp") by number, then protocol, as Docker lists them.
func sortedPorts(m PortMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(strings.SplitN(k, "/", 2)[0])
		return n
	}
	sort.Slice(keys, func(i, j int) bool {
		if num(keys[i]) != num(keys[j]) {
			return num(keys[i]) < num(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}

// containerRecordsLive lists the containers with their live state, for checkPorts.
func (sb *Sandbox) containerRecordsLive() []*Container {
	cs, _ := sb.listContainers(readListing)
	return cs
}
