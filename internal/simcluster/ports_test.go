package simcluster

import (
	"net"
	"testing"
)

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if !portInUse(port) {
		t.Errorf("portInUse(%d) = false while listening", port)
	}
	l.Close()
	if portInUse(port) {
		t.Errorf("portInUse(%d) = true after close", port)
	}
}
