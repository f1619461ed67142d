package sandbox

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// exposedPorts reads EXPOSE's port specs as Docker does: [ip:[hostPort]:]port[-end][/proto],
// proto tcp, udp or sctp in any case (stored lower case), a range giving one entry per port.
func exposedPorts(specs []string) ([]string, error) {
	var out []string
	for _, spec := range specs {
		ports, err := exposedPort(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, ports...)
	}
	return out, nil
}

func exposedPort(spec string) ([]string, error) {
	parts := strings.Split(spec, ":")
	ip, hostPort, containerPort := "", "", parts[len(parts)-1]
	switch n := len(parts); {
	case n == 2:
		hostPort = parts[0]
	case n >= 3:
		ip, hostPort = strings.Join(parts[:n-2], ":"), parts[n-2]
	}
	proto, containerPort := splitProto(containerPort)
	host, _, err := net.SplitHostPort(ip + ":")
	if err != nil {
		return nil, changef("Invalid ip address %v: %s", ip, err)
	}
	if host != "" && net.ParseIP(host) == nil {
		return nil, changef("Invalid ip address: %s", host)
	}
	if containerPort == "" {
		return nil, changef("No port specified: %s<empty>", spec)
	}
	start, end, err := portRange(containerPort)
	if err != nil {
		return nil, changef("Invalid containerPort: %s", containerPort)
	}
	if hostPort != "" {
		hs, he, err := portRange(hostPort)
		if err != nil {
			return nil, changef("Invalid hostPort: %s", hostPort)
		}
		if end-start != he-hs && end != start {
			return nil, changef("Invalid ranges specified for container and host Ports: %s and %s", containerPort, hostPort)
		}
	}
	if lower := strings.ToLower(proto); lower != "tcp" && lower != "udp" && lower != "sctp" {
		return nil, changef("Invalid proto: %s", proto)
	}
	proto = strings.ToLower(proto)
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, strconv.FormatUint(p, 10)+"/"+proto)
	}
	return out, nil
}

// splitProto splits "80/udp"; no or an empty proto is tcp.
func splitProto(s string) (proto, port string) {
	parts := strings.Split(s, "/")
	switch {
	case s == "" || parts[0] == "":
		return "", ""
	case len(parts) == 1 || parts[1] == "":
		return "tcp", parts[0]
	}
	return parts[1], parts[0]
}

func portRange(s string) (uint64, uint64, error) {
	if s == "" {
		return 0, 0, errors.New("empty port")
	}
	lo, hi, isRange := strings.Cut(s, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || !isRange {
		return start, start, err
	}
	// Docker reads only what is between the first and a second "-".
	hi, _, _ = strings.Cut(hi, "-")
	end, err := strconv.ParseUint(hi, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("invalid range %s", s)
	}
	return start, end, nil
}

// validStopSignal is Docker's check of STOPSIGNAL: a non-zero number, or a signal
// name with or without SIG, in any case.
func validStopSignal(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n == 0 {
			return fmt.Errorf("invalid signal: %s", s)
		}
		return nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if stopSignalNames[name] {
		return nil
	}
	if rt, ok := strings.CutPrefix(name, "RTMIN+"); ok {
		if n, err := strconv.Atoi(rt); err == nil && n >= 1 && n <= 15 && rt == strconv.Itoa(n) {
			return nil
		}
	}
	if rt, ok := strings.CutPrefix(name, "RTMAX-"); ok {
		if n, err := strconv.Atoi(rt); err == nil && n >= 1 && n <= 14 && rt == strconv.Itoa(n) {
			return nil
		}
	}
	return fmt.Errorf("invalid signal: %s", s)
}

var stopSignalNames = map[string]bool{
	"ABRT": true, "ALRM": true, "BUS": true, "CHLD": true, "CLD": true, "CONT": true, "FPE": true,
	"HUP": true, "ILL": true, "INT": true, "IO": true, "IOT": true, "KILL": true, "PIPE": true,
	"POLL": true, "PROF": true, "PWR": true, "QUIT": true, "SEGV": true, "STKFLT": true, "STOP": true,
	"SYS": true, "TERM": true, "TRAP": true, "TSTP": true, "TTIN": true, "TTOU": true, "URG": true,
	"USR1": true, "USR2": true, "VTALRM": true, "WINCH": true, "XCPU": true, "XFSZ": true,
	"RTMIN": true, "RTMAX": true,
}
