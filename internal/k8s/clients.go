package k8s

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// DefaultRequestTimeout bounds a single API request made through Clients, so
// that an unreachable API server fails a command instead of hanging it.
const DefaultRequestTimeout = 60 * time.Second

// Clients bundles the API clients the deploy pipeline needs, all sharing one
// HTTP transport. Build it once per command with NewClients and pass it down.
type Clients struct {
	// Dynamic reads and writes full objects.
	Dynamic dynamic.Interface
	// Metadata lists objects metadata-only (prune, delete).
	Metadata metadata.Interface
	// Discovery is cached in memory; Mapper reads from it.
	Discovery discovery.CachedDiscoveryInterface
	// Mapper maps kinds to resources; call ResetMapper after CRDs change.
	Mapper *restmapper.DeferredDiscoveryRESTMapper

	// DiscoveryMaxAge is how old the discovery data FreshDiscovery
	// leaves may be; 0 means defaultDiscoveryMaxAge.
	DiscoveryMaxAge time.Duration

	resetMu   sync.Mutex
	lastReset time.Time
	// freshSince is when the discovery data was last known fresh (see
	// FreshDiscovery).
	freshSince time.Time
}

// defaultDiscoveryMaxAge bounds how long a long-lived client set (the
// controller keeps one per cluster and identity) renders with discovery
// data that misses APIs installed meanwhile.
const defaultDiscoveryMaxAge = time.Minute

// FreshDiscovery invalidates the cached discovery data when it is older
// than DiscoveryMaxAge. Call it before reading what the cluster serves
// (Helm's .Capabilities.APIVersions, the scope of kinds) for a new render.
func (c *Clients) FreshDiscovery() {
	maxAge := c.DiscoveryMaxAge
	if maxAge <= 0 {
		maxAge = defaultDiscoveryMaxAge
	}
	c.resetMu.Lock()
	defer c.resetMu.Unlock()
	now := time.Now()
	if c.freshSince.IsZero() {
		// The first use: whatever is cached was read just now or will be.
		c.freshSince = now
		return
	}
	if now.Sub(c.freshSince) >= maxAge {
		c.Mapper.Reset()
		c.lastReset, c.freshSince = now, now
	}
}

// missResetInterval throttles the discovery refreshes caused by unknown
// kinds (e.g. many custom resources of a CRD that does not exist yet).
const missResetInterval = 2 * time.Second

// NewClients builds Clients from cfg. It copies cfg and lifts the client
// side rate limit (QPS/Burst), because the pipeline bounds its concurrency
// itself; it sets DefaultRequestTimeout when cfg has no timeout. API warnings
// are routed to the collector in the request context (see WithWarnings).
func NewClients(cfg *rest.Config) (*Clients, error) {
	return NewClientsWithLimiter(cfg, nil)
}

// NewClientsWithLimiter is NewClients with every request passing l (nil
// means no bound besides the pipeline's own concurrency).
func NewClientsWithLimiter(cfg *rest.Config, l *Limiter) (*Clients, error) {
	c := rest.CopyConfig(cfg)
	c.QPS = -1
	c.Burst = 0
	c.RateLimiter = nil
	if c.Timeout == 0 {
		c.Timeout = DefaultRequestTimeout
	}
	c.WarningHandler = nil
	c.WarningHandlerWithContext = warningRouter{}
	wrapLimiter(c, l)
	httpClient, err := rest.HTTPClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("build http client: %w", err)
	}
	return newClients(c, httpClient)
}

func newClients(c *rest.Config, h *http.Client) (*Clients, error) {
	dyn, err := dynamic.NewForConfigAndClient(c, h)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	md, err := metadata.NewForConfigAndClient(c, h)
	if err != nil {
		return nil, fmt.Errorf("build metadata client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(c, h)
	if err != nil {
		return nil, fmt.Errorf("build discovery client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	return &Clients{
		Dynamic:   dyn,
		Metadata:  md,
		Discovery: cached,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}, nil
}

// ResetMapper invalidates the cached discovery data, e.g. after a CRD became
// established. Concurrent callers are serialised.
func (c *Clients) ResetMapper() {
	c.resetMu.Lock()
	defer c.resetMu.Unlock()
	c.Mapper.Reset()
	c.lastReset = time.Now()
	c.freshSince = c.lastReset
}

// resetOnMiss resets the mapper after a lookup miss unless that was done
// very recently; it reports whether it reset.
func (c *Clients) resetOnMiss() bool {
	c.resetMu.Lock()
	defer c.resetMu.Unlock()
	if time.Since(c.lastReset) < missResetInterval {
		return false
	}
	c.Mapper.Reset()
	c.lastReset = time.Now()
	c.freshSince = c.lastReset
	return true
}

// Mapping returns the REST mapping of gvk. On a miss it resets the discovery
// cache (at most every few seconds) and retries, so that freshly created
// CRDs are found.
func (c *Clients) Mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil && meta.IsNoMatchError(err) && c.resetOnMiss() {
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", gvk.String(), err)
	}
	return m, nil
}

// Resource returns the dynamic client for the object kind gvk in namespace
// ns (ignored for cluster-scoped kinds) and whether the kind is namespaced.
func (c *Clients) Resource(gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, bool, error) {
	m, err := c.Mapping(gvk)
	if err != nil {
		return nil, false, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.Dynamic.Resource(m.Resource).Namespace(ns), true, nil
	}
	return c.Dynamic.Resource(m.Resource), false, nil
}

// Warnings collects the API warnings of requests made with a context from
// WithWarnings. It is safe for concurrent use.
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// Messages returns the collected warnings.
func (w *Warnings) Messages() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

type warningsKey struct{}

// WithWarnings returns a context whose API requests record their warnings
// (deprecations, unknown fields) in the returned collector, so that callers
// attribute them to the object the request was about.
func WithWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := &Warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// warningRouter hands API warnings to the collector in the request context
// and drops them otherwise.
type warningRouter struct{}

func (warningRouter) HandleWarningHeaderWithContext(ctx context.Context, code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	if w, ok := ctx.Value(warningsKey{}).(*Warnings); ok {
		w.mu.Lock()
		w.msgs = append(w.msgs, text)
		w.mu.Unlock()
	}
}
