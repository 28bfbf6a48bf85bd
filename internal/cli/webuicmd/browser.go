package webuicmd

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// browserCommand is the program that opens url, found in the invocation's
// environment: $BROWSER (a list separated by ':', as xdg-utils read it;
// "%s" stands for the URL, else it is appended), or the platform's opener
// on $PATH (xdg-open and its fallbacks, open on macOS).
func browserCommand(getenv func(string) string, goos, url string) ([]string, error) {
	path := getenv("PATH")
	look := func(name string) (string, bool) {
		if strings.ContainsRune(name, filepath.Separator) {
			return name, isExecutable(name)
		}
		for _, dir := range filepath.SplitList(path) {
			if dir == "" {
				continue
			}
			if p := filepath.Join(dir, name); isExecutable(p) {
				return p, true
			}
		}
		return "", false
	}
	for _, entry := range strings.Split(getenv("BROWSER"), ":") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		prog, ok := look(fields[0])
		if !ok {
			continue
		}
		args, replaced := []string{prog}, false
		for _, a := range fields[1:] {
			if strings.Contains(a, "%s") {
				a, replaced = strings.ReplaceAll(a, "%s", url), true
			}
			args = append(args, a)
		}
		if !replaced {
			args = append(args, url)
		}
		return args, nil
	}
	openers := []string{"xdg-open", "x-www-browser", "www-browser"}
	if goos == "darwin" {
		openers = []string{"open"}
	}
	for _, name := range openers {
		if prog, ok := look(name); ok {
			return []string{prog, url}, nil
		}
	}
	return nil, errors.New("no browser found: set $BROWSER or install xdg-open")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// openBrowser opens url with browserCommand; failures are logged, the UI
// keeps being served.
func openBrowser(ctx context.Context, getenv func(string) string, url string, logf func(string, ...any)) {
	argv, err := browserCommand(getenv, runtime.GOOS, url)
	if err == nil {
		err = exec.CommandContext(ctx, argv[0], argv[1:]...).Run()
	}
	if err != nil {
		logf("open a browser: %v; open %s yourself", err, url)
	}
}
