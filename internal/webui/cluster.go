package webui

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kluctl-go/kluctl/internal/controller"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/results"
)

// Cluster is one cluster the UI shows: its results and KluctlDeployments.
type Cluster struct {
	// ID is the UID of the cluster's kube-system namespace.
	ID string
	// Context is the kube context it was read from ("" in-cluster).
	Context string

	cfg     *rest.Config
	clients *k8s.Clients
	store   *results.Store

	mu sync.Mutex
	// users caches a client per impersonated RBAC user ("" = none); the
	// server knows two users, so it stays small.
	users map[string]client.Client
}

// NewCluster connects to the cluster of cfg through pool.
func NewCluster(ctx context.Context, pool *k8s.Pool, cfg *rest.Config, kubeContext string) (*Cluster, error) {
	clients, err := pool.Clients(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to context %q: %w", kubeContext, err)
	}
	id, err := k8s.ClusterID(ctx, clients)
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", kubeContext, err)
	}
	return &Cluster{ID: id, Context: kubeContext, cfg: cfg, clients: clients,
		store: results.New(clients, results.Options{}), users: map[string]client.Client{}}, nil
}

// client returns a client acting as rbacUser (impersonated), or with the
// server's own identity when rbacUser is empty.
func (c *Cluster) client(rbacUser string) (client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.users[rbacUser]; ok {
		return cl, nil
	}
	cfg := rest.CopyConfig(c.cfg)
	if rbacUser != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: rbacUser}
	}
	scheme, err := controller.Scheme()
	if err != nil {
		return nil, err
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("client for cluster %s: %w", c.ID, err)
	}
	if len(c.users) < 4 {
		c.users[rbacUser] = cl
	}
	return cl, nil
}
