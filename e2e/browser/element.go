package browser

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// elementKey is the W3C web element reference's JSON key.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// pollInterval is how often the Wait methods look at the page.
const pollInterval = 100 * time.Millisecond

// Element is an element of the page, found by a CSS selector. When the
// page replaces it (a re-render), its methods look it up again by the same
// selector, scope and position and retry.
type Element struct {
	b     *Browser
	id    string
	css   string // the selector that found it
	scope string // the element it was found below ("" for the document)
	index int    // its position among the matches
}

type elementRef struct {
	ID string `json:"element-6066-11e4-a52e-4f735466cecf"`
}

// Find returns the first element matching css and fails the test when
// there is none. It does not wait; see WaitFor.
func (b *Browser) Find(css string) *Element {
	b.t.Helper()
	return b.find("", css)
}

// FindAll returns the elements matching css, in document order.
func (b *Browser) FindAll(css string) []*Element {
	b.t.Helper()
	els, err := b.findAll(css)
	if err != nil {
		b.t.Fatalf("browser: FindAll(%q): %v", css, err)
	}
	return els
}

// Has reports whether some element matches css.
func (b *Browser) Has(css string) bool {
	b.t.Helper()
	return len(b.FindAll(css)) > 0
}

// find looks up css below the element scope ("" for the document).
func (b *Browser) find(scope, css string) *Element {
	b.t.Helper()
	path := "/element"
	if scope != "" {
		path = "/element/" + url.PathEscape(scope) + "/element"
	}
	var ref elementRef
	err := b.call(http.MethodPost, b.session+path, locator(css), &ref)
	var pe *ProtocolError
	if errors.As(err, &pe) && pe.Code == "no such element" {
		b.t.Fatalf("browser: Find(%q): no element matches on %s", css, b.currentURL())
	}
	if err != nil {
		b.t.Fatalf("browser: Find(%q): %v", css, err)
	}
	return &Element{b: b, id: ref.ID, css: css, scope: scope}
}

func (b *Browser) findAll(css string) ([]*Element, error) {
	var refs []elementRef
	if err := b.call(http.MethodPost, b.session+"/elements", locator(css), &refs); err != nil {
		return nil, err
	}
	els := make([]*Element, len(refs))
	for i, r := range refs {
		els[i] = &Element{b: b, id: r.ID, css: css, index: i}
	}
	return els, nil
}

func locator(css string) map[string]string {
	return map[string]string{"using": "css selector", "value": css}
}

// WaitFor polls every 100ms until an element matches css and returns the
// first match; it fails the test after timeout.
func (b *Browser) WaitFor(css string, timeout time.Duration) *Element {
	b.t.Helper()
	var found *Element
	b.wait(fmt.Sprintf("WaitFor(%q)", css), timeout, func() (bool, error) {
		els, err := b.findAll(css)
		if err != nil || len(els) == 0 {
			return false, err
		}
		found = els[0]
		return true, nil
	})
	return found
}

// WaitText polls until an element matching css has visible text containing
// substring and returns that element; it fails the test after timeout.
func (b *Browser) WaitText(css, substring string, timeout time.Duration) *Element {
	b.t.Helper()
	var found *Element
	b.wait(fmt.Sprintf("WaitText(%q, %q)", css, substring), timeout, func() (bool, error) {
		els, err := b.findAll(css)
		if err != nil {
			return false, err
		}
		for _, e := range els {
			text, err := e.text()
			if err == nil && strings.Contains(text, substring) {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	return found
}

// WaitGone polls until no element matches css; it fails the test after
// timeout.
func (b *Browser) WaitGone(css string, timeout time.Duration) {
	b.t.Helper()
	b.wait(fmt.Sprintf("WaitGone(%q)", css), timeout, func() (bool, error) {
		els, err := b.findAll(css)
		return err == nil && len(els) == 0, err
	})
}

// wait calls cond every pollInterval until it reports true. On timeout it
// fails the test with the page's URL and text and, when a screenshot folder
// is set, saves <test name>-timeout.png there.
func (b *Browser) wait(what string, timeout time.Duration, cond func() (bool, error)) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.timedOut(what, timeout, err)
			return
		}
		time.Sleep(pollInterval)
	}
}

func (b *Browser) timedOut(what string, timeout time.Duration, lastErr error) {
	b.t.Helper()
	var msg strings.Builder
	fmt.Fprintf(&msg, "browser: %s: timed out after %v", what, timeout)
	if lastErr != nil {
		fmt.Fprintf(&msg, " (last error: %v)", lastErr)
	}
	fmt.Fprintf(&msg, "\nURL: %s", b.currentURL())
	if b.shotDir != "" {
		name := b.name + "-timeout"
		if err := b.shotTo(name); err != nil {
			fmt.Fprintf(&msg, "\nscreenshot failed: %v", err)
		} else {
			fmt.Fprintf(&msg, "\nscreenshot: %s", filepath.Join(b.shotDir, name+".png"))
		}
	}
	text, err := b.eval("return document.body ? document.body.innerText : ''")
	if err != nil {
		fmt.Fprintf(&msg, "\npage text unavailable: %v", err)
	} else {
		fmt.Fprintf(&msg, "\npage text:\n%s", truncate(fmt.Sprint(text), 2000))
	}
	b.t.Fatal(msg.String())
}

// currentURL is URL for failure messages: it never fails the test.
func (b *Browser) currentURL() string {
	var u string
	if err := b.call(http.MethodGet, b.session+"/url", nil, &u); err != nil {
		return fmt.Sprintf("(URL unknown: %v)", err)
	}
	return u
}

// path is the element's command path below the session.
func (e *Element) path(cmd string) string {
	return "/element/" + url.PathEscape(e.id) + cmd
}

// Find returns the first element below e matching css and fails the test
// when there is none.
func (e *Element) Find(css string) *Element {
	e.b.t.Helper()
	return e.b.find(e.id, css)
}

// staleRetries is how often a command on a replaced element is retried.
const staleRetries = 5

// do sends the element command cmd; when the element went stale it is
// looked up again and the command retried.
func (e *Element) do(method, cmd string, body, out any) error {
	var err error
	for i := 0; i <= staleRetries; i++ {
		err = e.b.call(method, e.b.session+e.path(cmd), body, out)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != "stale element reference" {
			return err
		}
		time.Sleep(pollInterval)
		if rerr := e.refind(); rerr != nil {
			return fmt.Errorf("%w (looking it up again: %v)", err, rerr)
		}
	}
	return err
}

// refind looks the element up again by its selector, scope and position.
func (e *Element) refind() error {
	path := "/elements"
	if e.scope != "" {
		path = "/element/" + url.PathEscape(e.scope) + "/elements"
	}
	var refs []elementRef
	if err := e.b.call(http.MethodPost, e.b.session+path, locator(e.css), &refs); err != nil {
		return err
	}
	if e.index >= len(refs) {
		return fmt.Errorf("%d elements match %q now", len(refs), e.css)
	}
	e.id = refs[e.index].ID
	return nil
}

// must is do that fails the test on an error.
func (e *Element) must(what, method, cmd string, body, out any) {
	e.b.t.Helper()
	if err := e.do(method, cmd, body, out); err != nil {
		e.b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// coveredWait is how long Click waits for something covering the element
// (a notification, an animation) to go away.
const coveredWait = 15 * time.Second

// Click scrolls the element to the middle of the view and clicks it. When
// another element would receive the click (a notification over it), it
// waits for that to go away, as a user would.
func (e *Element) Click() {
	e.b.t.Helper()
	what := fmt.Sprintf("Click on %q", e.css)
	deadline := time.Now().Add(coveredWait)
	for {
		// Fixed overlays sit at the edges of the view; the middle is clear.
		_, _ = e.b.eval(`arguments[0].scrollIntoView({block: "center", inline: "center"})`, e)
		err := e.do(http.MethodPost, "/click", struct{}{}, nil)
		var pe *ProtocolError
		if err == nil || !errors.As(err, &pe) || pe.Code != "element click intercepted" || time.Now().After(deadline) {
			if err != nil {
				e.b.t.Fatalf("browser: %s: %v", what, err)
			}
			return
		}
		time.Sleep(pollInterval)
	}
}

// Text returns the element's visible text ("" when it is hidden).
func (e *Element) Text() string {
	e.b.t.Helper()
	text, err := e.text()
	if err != nil {
		e.b.t.Fatalf("browser: Text of %q: %v", e.css, err)
	}
	return text
}

func (e *Element) text() (string, error) {
	var text string
	err := e.do(http.MethodGet, "/text", nil, &text)
	return text, err
}

// SendKeys focuses the element and types s into it.
func (e *Element) SendKeys(s string) {
	e.b.t.Helper()
	e.must(fmt.Sprintf("SendKeys to %q", e.css), http.MethodPost, "/value", map[string]string{"text": s}, nil)
}

// Clear empties an input or textarea.
func (e *Element) Clear() {
	e.b.t.Helper()
	e.must(fmt.Sprintf("Clear of %q", e.css), http.MethodPost, "/clear", struct{}{}, nil)
}

// Attr returns the element's HTML attribute name, or "" when it has none.
// It is the attribute, not the live DOM property: an input's "value" stays
// what the markup said after typing; read the typed text with
// Eval("return arguments[0].value", e).
func (e *Element) Attr(name string) string {
	e.b.t.Helper()
	var v *string
	e.must(fmt.Sprintf("Attr(%q) of %q", name, e.css), http.MethodGet, "/attribute/"+url.PathEscape(name), nil, &v)
	if v == nil {
		return ""
	}
	return *v
}
