package webuicmd

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kluctl-go/kluctl/internal/cli/factory"
	"github.com/kluctl-go/kluctl/internal/k8s"
	"github.com/kluctl-go/kluctl/internal/webui"
)

type runOptions struct {
	ctxs             contextFlags
	host             string
	port             int
	inCluster        bool
	inClusterContext string
	controllerNS     string
	onlyAPI          bool
	pathPrefix       string
	openBrowser      bool
	auth             webui.AuthOptions
}

func newRunCmd(f *factory.Factory) *cobra.Command {
	o := &runOptions{auth: webui.DefaultAuthOptions()}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the Kluctl Webui",
		Long: "Serve the Kluctl Webui: the KluctlDeployments and command results of one or more clusters.\n\n" +
			"Locally (the default) it listens on localhost and every visitor acts with your kubeconfig's rights. " +
			"With --in-cluster, logins are required (static admin/viewer passwords from the webui-secret Secret, or OIDC) " +
			"and cluster access impersonates the admin or viewer RBAC user.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, f)
		},
	}
	o.ctxs.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.host, "host", "", "Host to bind to. Defaults to localhost, or to all addresses with --in-cluster.")
	fl.IntVar(&o.port, "port", 8080, "Port to bind to.")
	fl.BoolVar(&o.inCluster, "in-cluster", false, "This enables in-cluster mode, which implies that the webui is running inside your target cluster and authentication is enforced.")
	fl.StringVar(&o.inClusterContext, "in-cluster-context", "", "The context to use for in-cluster mode (instead of the pod's service account).")
	fl.StringVar(&o.controllerNS, "controller-namespace", "kluctl-system", "The namespace where the controller runs (its logs) and the webui Secrets are.")
	fl.BoolVar(&o.onlyAPI, "only-api", false, "Only serve the API, without the UI's files.")
	fl.StringVar(&o.pathPrefix, "path-prefix", "", "Serve everything below this path (behind a reverse proxy), e.g. /kluctl.")
	fl.BoolVar(&o.openBrowser, "open-browser", false, "Open the UI in the default browser once it is served.")
	a := &o.auth
	fl.StringVar(&a.AuthSecretName, "auth-secret-name", a.AuthSecretName, "Specifies the secret name for the secret used to sign sessions.")
	fl.StringVar(&a.AuthSecretKey, "auth-secret-key", a.AuthSecretKey, "Specifies the secret key for the secret used to sign sessions.")
	fl.BoolVar(&a.StaticLoginEnabled, "auth-static-login-enabled", a.StaticLoginEnabled, "Enable the admin and viewer users.")
	fl.StringVar(&a.StaticLoginSecretName, "auth-static-login-secret-name", a.StaticLoginSecretName, "Specifies the secret name for the admin and viewer passwords.")
	fl.StringVar(&a.StaticAdminKey, "auth-static-admin-secret-key", a.StaticAdminKey, "Specifies the secret key for the admin password.")
	fl.StringVar(&a.StaticViewerKey, "auth-static-viewer-secret-key", a.StaticViewerKey, "Specifies the secret key for the viewer password.")
	fl.StringVar(&a.AdminRBACUser, "auth-admin-rbac-user", a.AdminRBACUser, "Specify the RBAC user to use for admin access.")
	fl.StringVar(&a.ViewerRBACUser, "auth-viewer-rbac-user", a.ViewerRBACUser, "Specify the RBAC user to use for viewer access.")
	fl.DurationVar(&a.SessionTTL, "auth-session-ttl", a.SessionTTL, "How long a login lasts without activity; each request extends it.")
	fl.StringVar(&a.OIDC.IssuerURL, "auth-oidc-issuer-url", "", "Specify the OIDC provider's issuer URL, which enables OIDC logins.")
	fl.StringVar(&a.OIDC.DisplayName, "auth-oidc-display-name", a.OIDC.DisplayName, "Specify the name of the OIDC provider to be displayed on the login page.")
	fl.StringVar(&a.OIDC.ClientID, "auth-oidc-client-id", "", "Specify the ClientID.")
	fl.StringVar(&a.OIDC.ClientSecretName, "auth-oidc-client-secret-name", a.OIDC.ClientSecretName, "Specify the secret name for the ClientSecret.")
	fl.StringVar(&a.OIDC.ClientSecretKey, "auth-oidc-client-secret-key", a.OIDC.ClientSecretKey, "Specify the secret key for the ClientSecret.")
	fl.StringVar(&a.OIDC.RedirectURL, "auth-oidc-redirect-url", "", "Specify the redirect URL, e.g. https://kluctl.example.com/auth/callback.")
	fl.StringArrayVar(&a.OIDC.Scopes, "auth-oidc-scope", nil, "Specify the scopes.")
	fl.StringArrayVar(&a.OIDC.Params, "auth-oidc-param", nil, "Specify additional parameters to be passed to the authorize endpoint (key=value).")
	fl.StringVar(&a.OIDC.UserClaim, "auth-oidc-user-claim", a.OIDC.UserClaim, "Specify the claim that holds the user name.")
	fl.StringVar(&a.OIDC.GroupClaim, "auth-oidc-group-claim", a.OIDC.GroupClaim, "Specify the claim that holds the groups.")
	fl.StringArrayVar(&a.OIDC.AdminsGroups, "auth-oidc-admins-group", nil, "Specify admin groups.")
	fl.StringArrayVar(&a.OIDC.ViewersGroups, "auth-oidc-viewers-group", nil, "Specify viewer groups.")
	fl.StringVar(&a.LogoutURL, "auth-logout-url", "", "Specify the logout URL, to which the user should be redirected after clearing the Kluctl Webui session.")
	fl.StringVar(&a.LogoutReturnParam, "auth-logout-return-param", "", "Specify the parameter name to pass to the logout redirect url, containing the return URL to redirect back.")
	return cmd
}

func (o *runOptions) run(cmd *cobra.Command, f *factory.Factory) error {
	ctx := cmd.Context()
	logf := func(format string, args ...any) {
		fmt.Fprintf(f.IO.ErrOut, "%s %s\n", time.Now().Format(time.RFC3339), fmt.Sprintf(format, args...))
	}
	if o.port < 0 || o.port > 65535 {
		return fmt.Errorf("--port %d is no port", o.port)
	}
	host := o.host
	if !cmd.Flags().Changed("host") && !o.inCluster {
		host = "localhost"
	}
	var clusters []*webui.Cluster
	var authCluster *webui.Cluster
	if o.inCluster {
		if len(o.ctxs.contexts) != 0 || o.ctxs.allContexts {
			return fmt.Errorf("--in-cluster shows the cluster it runs in; it excludes --context and --all-contexts")
		}
		cfg, name, err := o.inClusterConfig(f)
		if err != nil {
			return err
		}
		c, err := connect(ctx, f, cfg, name)
		if err != nil {
			return err
		}
		clusters, authCluster = []*webui.Cluster{c}, c
		o.auth.Enabled = true
	} else {
		var err error
		if clusters, err = o.ctxs.clusters(ctx, f); err != nil {
			return err
		}
		if !webui.LoopbackHost(host) {
			logf("warning: serving on %q without authentication; everyone who reaches it acts with your cluster access", host)
		}
	}
	o.auth.SecretNamespace = o.controllerNS
	srv, err := webui.NewServer(ctx, clusters, authCluster, webui.Options{
		PathPrefix: o.pathPrefix, OnlyAPI: o.onlyAPI, ControllerNamespace: o.controllerNS, Auth: o.auth, Logf: logf,
		LocalOnly: !o.inCluster && webui.LoopbackHost(host),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("listen on %s:%d: %w", host, o.port, err)
	}
	url := "http://" + ln.Addr().String() + webui.NormalizePrefix(o.pathPrefix) + "/"
	logf("Webui is available at: %s", url)
	if o.openBrowser && !o.onlyAPI {
		go openBrowser(ctx, f.Getenv, url, logf)
	}
	return srv.Serve(ctx, ln)
}

func (o *runOptions) inClusterConfig(f *factory.Factory) (*rest.Config, string, error) {
	if o.inClusterContext == "" && o.ctxs.kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("--in-cluster outside a pod needs --in-cluster-context: %w", err)
		}
		return cfg, "in-cluster", nil
	}
	explicit, err := o.ctxs.explicit(f)
	if err != nil {
		return nil, "", err
	}
	return k8s.LoadKubeconfig(f.Getenv, explicit, o.inClusterContext)
}
