// Package freeport finds loopback TCP ports for test servers that must be
// told their port before they start.
package freeport

import (
	"fmt"
	"net"
)

// Ports returns n distinct TCP ports on 127.0.0.1 that were free a moment
// ago. All listeners stay open until every port is picked, so the ports
// differ from one another; another process may still take one before it
// is used, which callers must survive (by trying again).
func Ports(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Port is one port of Ports.
func Port() (int, error) {
	p, err := Ports(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}
