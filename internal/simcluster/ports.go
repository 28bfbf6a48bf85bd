package simcluster

import (
	"net"
	"strconv"
	"time"
)

// portInUse reports whether something accepts connections on 127.0.0.1:port.
func portInUse(port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
