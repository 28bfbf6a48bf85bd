package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestPortsAreDistinctAndBindable(t *testing.T) {
	got, err := Ports(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range got {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: want distinct positive ports", got)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d not free after Ports: %v", p, err)
		}
		l.Close()
	}
}
