package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// httpVarsTimeout bounds one request of an http vars source.
	httpVarsTimeout = 60 * time.Second
	// httpVarsMaxBytes bounds the response body of an http vars source.
	httpVarsMaxBytes = 16 << 20
)

// loadHTTP loads an http source as the original does: the response is
// YAML or JSON; without jsonPath it must be a mapping, with jsonPath the
// value found must be a string holding a YAML mapping (a mapping is taken
// as it is, as the original's documentation shows). A 404 with
// ignoreMissing loads an empty mapping. Credentials go in headers (or the
// URL); a request that carries them makes the vars sensitive by default,
// as the original does for the credentials it asks for.
func (l *varsLoader) loadHTTP(ctx context.Context, vars *Vars, src *VarsSource) (any, bool, bool, error) {
	h := src.HTTP
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false, false, fmt.Errorf("http: url %q is not an http(s) URL", safeHTTPURL(h.URL))
	}
	name := safeHTTPURL(h.URL)
	sensitive := markHTTPSecrets(vars, u, h.Headers)
	fail := func(err error) (any, bool, bool, error) {
		return nil, sensitive, false, fmt.Errorf("http vars source %s: %w", name, err)
	}
	method := http.MethodGet
	if h.Method != nil && *h.Method != "" {
		method = strings.ToUpper(*h.Method)
	}
	var body io.Reader
	if h.Body != nil {
		body = strings.NewReader(*h.Body)
	}
	ctx, cancel := context.WithTimeout(ctx, httpVarsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.URL, body)
	if err != nil {
		return fail(errors.New("invalid request"))
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	l.debug(fmt.Sprintf("http vars source: %s %s", method, name))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message repeats the URL, credentials included
		}
		return fail(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, httpVarsMaxBytes+1))
	if err != nil {
		return fail(fmt.Errorf("read response: %w", err))
	}
	if len(data) > httpVarsMaxBytes {
		return fail(fmt.Errorf("response is larger than %d bytes", httpVarsMaxBytes))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && src.IgnoreMissing:
		return map[string]any{}, sensitive, true, nil
	case resp.StatusCode == http.StatusUnauthorized:
		return fail(errors.New("request failed with status code 401: authentication required (pass credentials in an Authorization header)"))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return fail(fmt.Errorf("request failed with status code %d", resp.StatusCode))
	}
	doc, err := decodeYAMLValue(data)
	if err != nil {
		return fail(fmt.Errorf("response is not YAML or JSON: %w", err))
	}
	if h.JSONPath == nil {
		m, ok := doc.(map[string]any)
		if !ok {
			return fail(fmt.Errorf("response is %s, not an object", valueKind(doc)))
		}
		return m, sensitive, true, nil
	}
	p, err := parseJSONPath(*h.JSONPath)
	if err != nil {
		return fail(err)
	}
	found := p.get(doc)
	if len(found) == 0 {
		return fail(fmt.Errorf("%s not found in the response", *h.JSONPath))
	}
	switch x := found[0].(type) {
	case map[string]any:
		return x, sensitive, true, nil
	case string:
		v, err := decodeYAMLValue([]byte(x))
		if err != nil {
			return fail(fmt.Errorf("%s in the response is not YAML: %w", *h.JSONPath, err))
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fail(fmt.Errorf("%s in the response holds %s, not an object", *h.JSONPath, valueKind(v)))
		}
		return m, sensitive, true, nil
	default:
		return fail(fmt.Errorf("%s in the response is %s, not a string", *h.JSONPath, valueKind(x)))
	}
}

// markHTTPSecrets records the credentials of a request (the URL's
// password, the values of headers that carry credentials) as sensitive,
// so that they are masked wherever they show up, and tells whether there
// were any.
func markHTTPSecrets(vars *Vars, u *url.URL, headers map[string]string) bool {
	var secrets []any
	if p, ok := u.User.Password(); ok {
		secrets = append(secrets, p)
	}
	for k, v := range headers {
		lk := strings.ToLower(k)
		for _, w := range []string{"auth", "token", "secret", "key", "password", "cookie"} {
			if strings.Contains(lk, w) {
				secrets = append(secrets, v)
				if f := strings.Fields(v); len(f) == 2 {
					secrets = append(secrets, f[1]) // "Basic xyz": xyz alone
				}
				break
			}
		}
	}
	vars.MarkSensitive(secrets)
	return len(secrets) > 0
}

// safeHTTPURL is the URL for messages: without password and query.
func safeHTTPURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable url>"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	return u.String()
}
