package browser

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// Navigate loads url and waits for the page to load.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.must("Navigate("+url+")", http.MethodPost, "/url", map[string]string{"url": url}, nil)
}

// URL returns the current page's URL.
func (b *Browser) URL() string {
	b.t.Helper()
	var u string
	b.must("URL", http.MethodGet, "/url", nil, &u)
	return u
}

// Title returns the current page's title.
func (b *Browser) Title() string {
	b.t.Helper()
	var title string
	b.must("Title", http.MethodGet, "/title", nil, &title)
	return title
}

// Eval runs script as the body of a synchronous function in the page and
// returns its JSON-decoded return value (float64, string, bool, nil,
// []any or map[string]any). The script reads args as arguments[0], ...;
// an *Element argument arrives as the DOM element.
func (b *Browser) Eval(script string, args ...any) any {
	b.t.Helper()
	v, err := b.eval(script, args...)
	if err != nil {
		b.t.Fatalf("browser: Eval(%q): %v", truncate(script, 80), err)
	}
	return v
}

func (b *Browser) eval(script string, args ...any) (any, error) {
	wire := make([]any, len(args))
	for i, a := range args {
		if e, ok := a.(*Element); ok {
			wire[i] = map[string]string{elementKey: e.id}
		} else {
			wire[i] = a
		}
	}
	var v any
	err := b.call(http.MethodPost, b.session+"/execute/sync", map[string]any{"script": script, "args": wire}, &v)
	return v, err
}

// Screenshot writes a PNG of the viewport to path.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	if err := b.screenshot(path); err != nil {
		b.t.Fatalf("browser: Screenshot(%s): %v", path, err)
	}
}

func (b *Browser) screenshot(path string) error {
	var encoded string
	if err := b.call(http.MethodGet, b.session+"/screenshot", nil, &encoded); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return fmt.Errorf("decoding the screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}

// SetScreenshotDir sets the folder that Shot writes to and that the Wait
// methods save a screenshot to when they time out. Empty turns both off.
func (b *Browser) SetScreenshotDir(dir string) {
	b.shotDir = dir
}

// Shot writes a screenshot to <dir>/<name>.png in the screenshot folder,
// creating the folder. It does nothing when no folder is set, so tests can
// take shots freely and let the caller decide whether to keep them.
func (b *Browser) Shot(name string) {
	b.t.Helper()
	if b.shotDir == "" {
		return
	}
	if err := b.shotTo(name); err != nil {
		b.t.Fatalf("browser: Shot(%s): %v", name, err)
	}
}

func (b *Browser) shotTo(name string) error {
	if err := os.MkdirAll(b.shotDir, 0o755); err != nil {
		return err
	}
	return b.screenshot(filepath.Join(b.shotDir, name+".png"))
}

// Cookie is a browser cookie. Expiry is in Unix seconds; zero means a
// session cookie.
type Cookie struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Expiry int64  `json:"expiry,omitempty"`
}

// Cookies returns the cookies visible to the current page.
func (b *Browser) Cookies() []Cookie {
	b.t.Helper()
	var cookies []Cookie
	b.must("Cookies", http.MethodGet, "/cookie", nil, &cookies)
	return cookies
}

// AddCookie sets a cookie for the current page's domain; navigate to the
// site first.
func (b *Browser) AddCookie(c Cookie) {
	b.t.Helper()
	b.must("AddCookie("+c.Name+")", http.MethodPost, "/cookie", map[string]any{"cookie": c}, nil)
}

// DeleteAllCookies deletes the cookies visible to the current page.
func (b *Browser) DeleteAllCookies() {
	b.t.Helper()
	b.must("DeleteAllCookies", http.MethodDelete, "/cookie", nil, nil)
}
