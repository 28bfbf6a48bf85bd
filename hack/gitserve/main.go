// Command gitserve serves folders as git repositories over http on
// loopback, for the README's walkthroughs without network access:
//
//	go run ./hack/gitserve -addr 127.0.0.1:8088 kluctl-examples=../shared/examples
//
// serves http://127.0.0.1:8088/kluctl-examples.git with the folder's files
// committed on branch main. It runs until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kluctl-go/kluctl/internal/gitserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gitserve:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8088", "loopback address to listen on")
	user := flag.String("user", "", "user name required for every request (with -password)")
	password := flag.String("password", "", "password required for every request")
	flag.Parse()
	if flag.NArg() == 0 {
		return fmt.Errorf("usage: gitserve [-addr host:port] name=folder [name=folder]")
	}
	root, err := os.MkdirTemp("", "gitserve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	srv, err := gitserver.Start(root, gitserver.Options{Addr: *addr, User: *user, Password: *password})
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, arg := range flag.Args() {
		name, dir, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q is not name=folder", arg)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		commit, err := srv.CommitDir(name, "main", abs, "", "import "+abs)
		if err != nil {
			return fmt.Errorf("commit %s: %w", abs, err)
		}
		fmt.Printf("%s: %s (main at %s)\n", abs, srv.URL(name), commit[:12])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
