package projectargs

import (
	"time"

	"github.com/spf13/cobra"
)

// CompatFlags are the flags of the original for remote sources: the git
// cache, local overrides and the git, Helm and registry credentials. The
// git ones drive git includes; the Helm and registry ones are accepted so
// existing scripts run unchanged, and a project that needs them gets a
// clear "not supported" error from the engine. Credentials are never read
// from KLUCTL_<FLAG> variables or the config file (the KLUCTL_GIT_<idx>_*
// variables have their own form), and never printed.
type CompatFlags struct {
	GitCacheUpdateInterval time.Duration
	LocalGitOverride       []string
	LocalGitGroupOverride  []string
	LocalOciOverride       []string
	LocalOciGroupOverride  []string

	GitUsername, GitPassword, GitSSHKeyFile, GitSSHKnownHostsFile, GitCAFile []string

	HelmUsername, HelmPassword, HelmKeyFile, HelmCertFile, HelmCAFile, HelmInsecure, HelmCreds []string

	RegistryUsername, RegistryPassword, RegistryIdentityToken, RegistryToken, RegistryCreds []string
	RegistryKeyFile, RegistryCertFile, RegistryCAFile, RegistryPlainHTTP, RegistryInsecure  []string
}

// AddProjectCompatFlags registers --git-cache-update-interval and the
// --local-*-override flags (every project command has them).
func (c *CompatFlags) AddProjectCompatFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&c.GitCacheUpdateInterval, "git-cache-update-interval", 0, "Specify the time to wait between git cache updates. Defaults to not wait at all and always updating caches.")
	fl.StringArrayVar(&c.LocalGitOverride, "local-git-override", nil, "Specify a single repository local git override in the form of 'github.com/my-org/my-repo=/local/path/to/override'. This will cause kluctl to not use git to clone for the specified repository but instead use the local directory. This is useful in case you need to test out changes in external git repositories without pushing them.")
	fl.StringArrayVar(&c.LocalGitGroupOverride, "local-git-group-override", nil, "Same as --local-git-override, but for a whole group prefix instead of a single repository. All repositories that have the given prefix will be overridden with the given local path and the repository suffix appended. For example, 'gitlab.com/some-org/sub-org=/local/path/to/my-forks' will override all repositories below 'gitlab.com/some-org/sub-org/' with the repositories found in '/local/path/to/my-forks'. It will however only perform an override if the given repository actually exists locally and otherwise revert to the actual (non-overridden) repository.")
	fl.StringArrayVar(&c.LocalOciOverride, "local-oci-override", nil, "Same as --local-git-override, but for OCI repositories.")
	fl.StringArrayVar(&c.LocalOciGroupOverride, "local-oci-group-override", nil, "Same as --local-git-group-override, but for OCI repositories.")
}

// AddCredentialFlags registers the --git-*, --helm-* and --registry-*
// credential flags.
func (c *CompatFlags) AddCredentialFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&c.GitUsername, "git-username", nil, "Specify username to use for Git basic authentication. Must be in the form --git-username=<host>/<path>=<username>.")
	fl.StringArrayVar(&c.GitPassword, "git-password", nil, "Specify password to use for Git basic authentication. Must be in the form --git-password=<host>/<path>=<password>.")
	fl.StringArrayVar(&c.GitSSHKeyFile, "git-ssh-key-file", nil, "Specify SSH key to use for Git authentication. Must be in the form --git-ssh-key-file=<host>/<path>=<filePath>.")
	fl.StringArrayVar(&c.GitSSHKnownHostsFile, "git-ssh-known-hosts-file", nil, "Specify known_hosts file to use for Git authentication. Must be in the form --git-ssh-known-hosts-file=<host>/<path>=<filePath>.")
	fl.StringArrayVar(&c.GitCAFile, "git-ca-file", nil, "Specify CA bundle to use for https verification. Must be in the form --git-ca-file=<registry>/<repo>=<filePath>.")
	fl.StringArrayVar(&c.HelmUsername, "helm-username", nil, "Specify username to use for Helm Repository authentication. Must be in the form --helm-username=<host>/<path>=<username> or in the deprecated form --helm-username=<credentialsId>:<username>, where <credentialsId> must match the id specified in the helm-chart.yaml.")
	fl.StringArrayVar(&c.HelmPassword, "helm-password", nil, "Specify password to use for Helm Repository authentication. Must be in the form --helm-password=<host>/<path>=<password> or in the deprecated form --helm-password=<credentialsId>:<password>, where <credentialsId> must match the id specified in the helm-chart.yaml.")
	fl.StringArrayVar(&c.HelmKeyFile, "helm-key-file", nil, "Specify client certificate to use for Helm Repository authentication. Must be in the form --helm-key-file=<host>/<path>=<filePath> or in the deprecated form --helm-key-file=<credentialsId>:<filePath>, where <credentialsId> must match the id specified in the helm-chart.yaml.")
	fl.StringArrayVar(&c.HelmCertFile, "helm-cert-file", nil, "Specify key to use for Helm Repository authentication. Must be in the form --helm-cert-file=<host>/<path>=<filePath> or in the deprecated form --helm-cert-file=<credentialsId>:<filePath>, where <credentialsId> must match the id specified in the helm-chart.yaml.")
	fl.StringArrayVar(&c.HelmCAFile, "helm-ca-file", nil, "Specify ca bundle certificate to use for Helm Repository authentication. Must be in the form --helm-ca-file=<host>/<path>=<filePath> or in the deprecated form --helm-ca-file=<credentialsId>:<filePath>, where <credentialsId> must match the id specified in the helm-chart.yaml.")
	fl.StringArrayVar(&c.HelmInsecure, "helm-insecure-skip-tls-verify", nil, "Controls skipping of TLS verification. Must be in the form --helm-insecure-skip-tls-verify=<host>/<path> or in the deprecated form --helm-insecure-skip-tls-verify=<credentialsId>, where <credentialsId> must match the id specified in the helm-chart.yaml.")
	fl.StringArrayVar(&c.HelmCreds, "helm-creds", nil, "This is a shortcut to --helm-username and --helm-password. Must be in the form --helm-creds=<host>/<path>=<username>:<password>, which specifies the username and password for the same repository.")
	fl.StringArrayVar(&c.RegistryUsername, "registry-username", nil, "Specify username to use for OCI authentication. Must be in the form --registry-username=<registry>/<repo>=<username>.")
	fl.StringArrayVar(&c.RegistryPassword, "registry-password", nil, "Specify password to use for OCI authentication. Must be in the form --registry-password=<registry>/<repo>=<password>.")
	fl.StringArrayVar(&c.RegistryIdentityToken, "registry-identity-token", nil, "Specify identity token to use for OCI authentication. Must be in the form --registry-identity-token=<registry>/<repo>=<identity-token>.")
	fl.StringArrayVar(&c.RegistryToken, "registry-token", nil, "Specify registry token to use for OCI authentication. Must be in the form --registry-token=<registry>/<repo>=<token>.")
	fl.StringArrayVar(&c.RegistryCreds, "registry-creds", nil, "This is a shortcut to --registry-username, --registry-password and --registry-token. It can be specified in two different forms. The first one is --registry-creds=<registry>/<repo>=<username>:<password>, which specifies the username and password for the same registry. The second form is --registry-creds=<registry>/<repo>=<token>, which specifies a JWT token for the specified registry.")
	fl.StringArrayVar(&c.RegistryKeyFile, "registry-key-file", nil, "Specify key to use for OCI authentication. Must be in the form --registry-key-file=<registry>/<repo>=<filePath>.")
	fl.StringArrayVar(&c.RegistryCertFile, "registry-cert-file", nil, "Specify certificate to use for OCI authentication. Must be in the form --registry-cert-file=<registry>/<repo>=<filePath>.")
	fl.StringArrayVar(&c.RegistryCAFile, "registry-ca-file", nil, "Specify CA bundle to use for https verification. Must be in the form --registry-ca-file=<registry>/<repo>=<filePath>.")
	fl.StringArrayVar(&c.RegistryPlainHTTP, "registry-plain-http", nil, "Forces the use of http (no TLS). Must be in the form --registry-plain-http=<registry>/<repo>.")
	fl.StringArrayVar(&c.RegistryInsecure, "registry-insecure-skip-tls-verify", nil, "Controls skipping of TLS verification. Must be in the form --registry-insecure-skip-tls-verify=<registry>/<repo>.")
}
