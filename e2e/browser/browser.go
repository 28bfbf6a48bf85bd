// Package browser drives Debian's headless Chromium through chromedriver
// with the W3C WebDriver HTTP protocol, for end-to-end tests of the web UI.
//
// Start launches one chromedriver and one browser session per call; the
// test's cleanup ends both. Every method reports failures with t.Fatalf, so
// tests read as plain steps:
//
//	b := browser.Start(t)
//	b.Navigate(srv.URL + "/login")
//	b.Find("#user").SendKeys("admin")
//	b.Find("button[type=submit]").Click()
//	b.WaitText("h1", "Targets", 10*time.Second)
//
// A Browser belongs to the test goroutine that started it and is not safe
// for concurrent use. `make test-deps` installs chromium and chromedriver.
package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/freeport"
)

const (
	chromiumPath     = "/usr/bin/chromium"
	chromedriverPath = "/usr/bin/chromedriver"

	// requestTimeout bounds every WebDriver request.
	requestTimeout = 60 * time.Second
	// driverStartTimeout bounds the wait for chromedriver's /status.
	driverStartTimeout = 30 * time.Second
)

// Browser is one WebDriver session in its own headless Chromium with its
// own profile, so several Browsers in one test (an admin and a viewer, say)
// share no cookies or storage.
type Browser struct {
	t       testing.TB
	client  *http.Client
	base    string // chromedriver's URL, http://127.0.0.1:N
	session string // "/session/<id>"
	name    string // file-safe test name, for timeout screenshots
	shotDir string
}

// Start launches chromedriver on a free loopback port and opens a new
// headless Chromium session with a fresh profile in t.TempDir(). The test's
// cleanup deletes the session and stops chromedriver. It fails the test when
// /usr/bin/chromium or /usr/bin/chromedriver is missing.
func Start(t testing.TB) *Browser {
	t.Helper()
	for _, p := range []string{chromiumPath, chromedriverPath} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("browser: %s is missing (%v); `make test-deps` installs chromium and chromedriver", p, err)
		}
	}
	// The temporary folder is created before any cleanup below is
	// registered, so it is removed only after Chromium has quit.
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // chromedriver is on loopback
	b := &Browser{
		t:      t,
		client: &http.Client{Timeout: requestTimeout, Transport: transport},
		name:   fileName(t.Name()),
	}
	t.Cleanup(transport.CloseIdleConnections)
	b.base = startDriver(t, b.client, filepath.Join(dir, "chromedriver.log"))

	caps := map[string]any{
		"capabilities": map[string]any{
			"alwaysMatch": map[string]any{
				"browserName": "chrome",
				"goog:chromeOptions": map[string]any{
					"binary": chromiumPath,
					"args": []string{
						"--headless=new",
						"--no-sandbox",
						"--disable-gpu",
						"--disable-quic",
						"--no-first-run",
						"--disable-background-networking",
						"--disable-component-update",
						"--disable-sync",
						"--disable-dev-shm-usage",
						"--window-size=1400,1000",
						"--user-data-dir=" + profile,
					},
				},
			},
		},
	}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(http.MethodPost, "/session", caps, &created); err != nil {
		t.Fatalf("browser: creating the Chromium session: %v", err)
	}
	if created.SessionID == "" {
		t.Fatalf("browser: creating the Chromium session: chromedriver returned no session id")
	}
	b.session = "/session/" + created.SessionID
	t.Cleanup(func() {
		if err := b.call(http.MethodDelete, b.session, nil, nil); err != nil {
			t.Errorf("browser: deleting the session: %v", err)
		}
	})
	return b
}

// startDriver runs chromedriver on a free loopback port, logging to
// logPath, and returns its base URL once /status reports it ready. The
// cleanup it registers kills chromedriver and whatever it started, and
// waits for it to exit.
func startDriver(t testing.TB, client *http.Client, logPath string) string {
	t.Helper()
	port, err := freeport.Port()
	if err != nil {
		t.Fatalf("browser: finding a free port for chromedriver: %v", err)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("browser: creating the chromedriver log: %v", err)
	}
	cmd := exec.Command(chromedriverPath, fmt.Sprintf("--port=%d", port))
	// A file rather than a pipe: Wait must not wait for Chromium, which
	// inherits the descriptors.
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("browser: starting %s: %v", chromedriverPath, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		killProcessGroup(cmd)
		<-exited
		logf.Close()
	})

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(driverStartTimeout)
	var lastErr error
	for {
		select {
		case <-exited:
			t.Fatalf("browser: chromedriver exited before it was ready (%v); its log:\n%s", waitErr, readLog(logPath))
		default:
		}
		ready, err := driverReady(client, base)
		if ready {
			return base
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("browser: chromedriver on port %d not ready after %v (last: %v); its log:\n%s",
				port, driverStartTimeout, lastErr, readLog(logPath))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// driverReady asks chromedriver's /status whether it accepts sessions.
func driverReady(client *http.Client, base string) (bool, error) {
	resp, err := client.Get(base + "/status")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var status struct {
		Value struct {
			Ready   bool   `json:"ready"`
			Message string `json:"message"`
		} `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
		return false, fmt.Errorf("decoding /status: %w", err)
	}
	if !status.Value.Ready {
		return false, fmt.Errorf("/status: not ready: %s", status.Value.Message)
	}
	return true, nil
}

func readLog(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", path, err)
	}
	return truncate(string(data), 4000)
}

// ProtocolError is a WebDriver error response.
type ProtocolError struct {
	Method, Path string
	Status       int    // HTTP status
	Code         string // WebDriver error code, e.g. "no such element"
	Message      string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// call sends one WebDriver command and decodes the response's "value" into
// out (when out is not nil). Non-2xx responses become *ProtocolError.
func (b *Browser) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", method, path, err)
	}
	var envelope struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return fmt.Errorf("%s %s: HTTP %d: decoding the response: %w: %s",
			method, path, resp.StatusCode, err, truncate(string(data), 200))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(envelope.Value, &e)
		return &ProtocolError{Method: method, Path: path, Status: resp.StatusCode, Code: e.Error, Message: e.Message}
	}
	if out != nil {
		if err := json.Unmarshal(envelope.Value, out); err != nil {
			return fmt.Errorf("%s %s: decoding the value: %w: %s", method, path, err, truncate(string(envelope.Value), 200))
		}
	}
	return nil
}

// must runs a session command and fails the test on error; what names the
// operation for the message.
func (b *Browser) must(what, method, path string, body, out any) {
	b.t.Helper()
	if err := b.call(method, b.session+path, body, out); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// fileName turns a test name into a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// truncate shortens s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n…(truncated)"
}
