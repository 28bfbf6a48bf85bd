package simcluster

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment
// ago. All listeners stay open until every port is picked, so the ports differ
// from one another; another process may still take one before it is used,
// which Start handles by trying again.
func freePorts(n int) ([]int, error) {
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

// portInUse reports whether something accepts connections on 127.0.0.1:port.
func portInUse(port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
