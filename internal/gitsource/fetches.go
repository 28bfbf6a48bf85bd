package gitsource

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"time"
)

// DefaultFetchTimeout bounds a fetch when Options.FetchTimeout is 0.
const DefaultFetchTimeout = 5 * time.Minute

// acquire takes the lock of m, giving up when ctx ends: a caller whose
// reconcile timed out must not stay queued behind a fetch that hangs.
func (m *mirror) acquire(ctx context.Context) error {
	// A lock that is free is taken even when ctx has ended meanwhile:
	// select would pick at random.
	select {
	case m.lock <- struct{}{}:
		return nil
	default:
	}
	select {
	case m.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for another fetch of the repository: %w", ctx.Err())
	}
}

// release gives the lock of m back.
func (m *mirror) release() { <-m.lock }

// fetchRecord is the outcome of the last fetch with one set of
// credentials.
type fetchRecord struct {
	at  time.Time
	err error
}

// recent returns the outcome of a fetch with the credentials fp within
// interval; called with m.lock held.
func (m *mirror) recent(fp string, interval time.Duration) (fetchRecord, bool) {
	rec, ok := m.fetches[fp]
	if !ok || interval <= 0 || time.Since(rec.at) >= interval {
		return fetchRecord{}, false
	}
	return rec, true
}

// record remembers the outcome of a fetch with the credentials fp (err nil
// for success) and forgets those older than interval; called with m.lock
// held.
func (m *mirror) record(fp string, err error, interval time.Duration) {
	now := time.Now()
	if err == nil {
		m.lastFetch = now
	}
	for k, rec := range m.fetches {
		if now.Sub(rec.at) >= interval {
			delete(m.fetches, k)
		}
	}
	if interval <= 0 {
		return
	}
	if m.fetches == nil {
		m.fetches = map[string]fetchRecord{}
	}
	m.fetches[fp] = fetchRecord{at: now, err: err}
}

// fingerprint identifies the credentials of a fetch: the URL (it may hold
// a user and password) and auth. It is a keyed hash, so the credentials
// are not kept and cannot be checked against guesses.
func (c *Cache) fingerprint(url string, auth *Auth) string {
	h := hmac.New(sha256.New, c.credKey)
	writeField(h, []byte(url))
	return hex.EncodeToString(auth.Digest(h))
}

// Digest writes every field of a (nil is no credentials, as an empty
// Auth) to h and returns h's sum: a key for caches that may serve what was
// fetched with these credentials only to callers that have the same. Use a
// keyed hash where the digest is kept beyond the process.
func (a *Auth) Digest(h hash.Hash) []byte {
	var v Auth
	if a != nil {
		v = *a
	}
	for _, f := range [][]byte{[]byte(v.Username), []byte(v.Password), v.SSHKey, v.KnownHosts, v.CABundle} {
		writeField(h, f)
	}
	fmt.Fprintf(h, "%t,%t", v.Agent, v.InsecureIgnoreHostKey)
	return h.Sum(nil)
}

// writeField writes b length-prefixed, so that fields cannot run into
// each other.
func writeField(h hash.Hash, b []byte) {
	fmt.Fprintf(h, "%d:", len(b))
	h.Write(b)
}
