package project

// DeploymentConfig is the content of a deployment.yml / deployment.yaml.
type DeploymentConfig struct {
	Vars               []VarsSource             `json:"vars,omitempty"`
	When               string                   `json:"when,omitempty"`
	Deployments        []ItemConfig             `json:"deployments,omitempty"`
	CommonLabels       map[string]string        `json:"commonLabels,omitempty"`
	CommonAnnotations  map[string]string        `json:"commonAnnotations,omitempty"`
	OverrideNamespace  *string                  `json:"overrideNamespace,omitempty"`
	Tags               []string                 `json:"tags,omitempty"`
	IgnoreForDiff      []IgnoreForDiffRule      `json:"ignoreForDiff,omitempty"`
	ConflictResolution []ConflictResolutionRule `json:"conflictResolution,omitempty"`
	TemplateExcludes   []string                 `json:"templateExcludes,omitempty"`
	SealedSecrets      Values                   `json:"sealedSecrets,omitempty"`
}

// ItemConfig is one entry of deployments in a deployment.yml.
type ItemConfig struct {
	Path                 *string          `json:"path,omitempty"`
	Include              *string          `json:"include,omitempty"`
	Git                  *GitInclude      `json:"git,omitempty"`
	Oci                  *OciInclude      `json:"oci,omitempty"`
	Tags                 []string         `json:"tags,omitempty"`
	Barrier              bool             `json:"barrier,omitempty"`
	Message              string           `json:"message,omitempty"`
	WaitReadiness        bool             `json:"waitReadiness,omitempty"`
	WaitReadinessObjects []ObjectSelector `json:"waitReadinessObjects,omitempty"`
	Vars                 []VarsSource     `json:"vars,omitempty"`
	SkipDeleteIfTags     bool             `json:"skipDeleteIfTags,omitempty"`
	OnlyRender           bool             `json:"onlyRender,omitempty"`
	AlwaysDeploy         bool             `json:"alwaysDeploy,omitempty"`
	DeleteObjects        []ObjectSelector `json:"deleteObjects,omitempty"`
	When                 string           `json:"when,omitempty"`
	PassVars             bool             `json:"passVars,omitempty"`
	Args                 Values           `json:"args,omitempty"`
}

// OciInclude is an OCI include of a deployment item:
// `oci: {url: oci://registry/repo, ref: {tag|digest}, subDir}`.
type OciInclude struct {
	URL    string  `json:"url"`
	Ref    *OciRef `json:"ref,omitempty"`
	SubDir string  `json:"subDir,omitempty"`
}

// OciRef selects the artifact of an OCI include: a tag or a digest; none
// means the tag "latest".
type OciRef struct {
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// String describes the ref for messages.
func (r *OciRef) String() string {
	switch {
	case r == nil || (r.Tag == "" && r.Digest == ""):
		return "tag latest"
	case r.Digest != "":
		return "digest " + r.Digest
	}
	return "tag " + r.Tag
}

// ObjectSelector names objects in waitReadinessObjects and deleteObjects.
type ObjectSelector struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// IgnoreForDiffRule removes fields from diffs for matching objects.
type IgnoreForDiffRule struct {
	FieldPath      StringOrList `json:"fieldPath,omitempty"`
	FieldPathRegex StringOrList `json:"fieldPathRegex,omitempty"`
	Group          *string      `json:"group,omitempty"`
	Kind           *string      `json:"kind,omitempty"`
	Name           *string      `json:"name,omitempty"`
	Namespace      *string      `json:"namespace,omitempty"`
}

// ConflictResolutionRule decides what happens when a field is owned by
// another field manager.
type ConflictResolutionRule struct {
	FieldPath      StringOrList `json:"fieldPath,omitempty"`
	FieldPathRegex StringOrList `json:"fieldPathRegex,omitempty"`
	Manager        StringOrList `json:"manager,omitempty"`
	Group          *string      `json:"group,omitempty"`
	Kind           *string      `json:"kind,omitempty"`
	Name           *string      `json:"name,omitempty"`
	Namespace      *string      `json:"namespace,omitempty"`
	// Action is "ignore" or "force-apply".
	Action string `json:"action"`
}

// VarsSource is one entry of a vars list.
type VarsSource struct {
	IgnoreMissing bool   `json:"ignoreMissing,omitempty"`
	NoOverride    bool   `json:"noOverride,omitempty"`
	When          string `json:"when,omitempty"`
	Sensitive     *bool  `json:"sensitive,omitempty"`
	TargetPath    string `json:"targetPath,omitempty"`

	Values            Values                       `json:"values,omitempty"`
	File              *string                      `json:"file,omitempty"`
	SystemEnvVars     Values                       `json:"systemEnvVars,omitempty"`
	ClusterConfigMap  *ClusterObjectVarsSource     `json:"clusterConfigMap,omitempty"`
	ClusterSecret     *ClusterObjectVarsSource     `json:"clusterSecret,omitempty"`
	Git               *GitVarsSource               `json:"git,omitempty"`
	GitFiles          *GitFilesVarsSource          `json:"gitFiles,omitempty"`
	ClusterObject     *ObjectVarsSource            `json:"clusterObject,omitempty"`
	HTTP              *HTTPVarsSource              `json:"http,omitempty"`
	AwsSecretsManager *AwsSecretsManagerVarsSource `json:"awsSecretsManager,omitempty"`
	GcpSecretManager  *GcpSecretManagerVarsSource  `json:"gcpSecretManager,omitempty"`
	AzureKeyVault     *AzureKeyVaultVarsSource     `json:"azureKeyVault,omitempty"`
	Vault             *VaultVarsSource             `json:"vault,omitempty"`
}

// ClusterObjectVarsSource selects a ConfigMap or Secret key to load vars
// from.
type ClusterObjectVarsSource struct {
	Name      string            `json:"name,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Namespace string            `json:"namespace"`
	Key       string            `json:"key"`
}

// GitVarsSource loads a vars file (a template, as a file source) from a
// git repository: `git: {url, ref, path}`.
type GitVarsSource struct {
	URL  string  `json:"url"`
	Ref  *GitRef `json:"ref,omitempty"`
	Path string  `json:"path"`
}

// GitFilesVarsSource loads the files matching globs from the branches or
// tags matching ref (regular expressions): `gitFiles: {url, ref, files}`.
// The value is a list with one entry per matching ref (see gitFilesRef).
type GitFilesVarsSource struct {
	URL   string        `json:"url"`
	Ref   *GitRef       `json:"ref,omitempty"`
	Files []GitFileGlob `json:"files,omitempty"`
}

// GitFileGlob selects files of a gitFiles source and how they are loaded.
type GitFileGlob struct {
	// Glob matches slash paths relative to the repository root: * and ?
	// stay within one path segment, ** crosses them.
	Glob string `json:"glob"`
	// Render renders the file as a template before it is parsed.
	Render bool `json:"render,omitempty"`
	// ParseYaml adds the parsed YAML as `parsed`; YamlMultiDoc parses all
	// documents into a list.
	ParseYaml    bool `json:"parseYaml,omitempty"`
	YamlMultiDoc bool `json:"yamlMultiDoc,omitempty"`
}

// ObjectVarsSource loads a field of any object of the cluster:
// `clusterObject: {kind, apiVersion, namespace, name|labels, list, path,
// render, parseYaml}`.
type ObjectVarsSource struct {
	Kind string `json:"kind"`
	// APIVersion is only needed when Kind names more than one resource.
	APIVersion string            `json:"apiVersion,omitempty"`
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	// List makes the value a list, one entry per object; otherwise
	// exactly one object must match.
	List bool `json:"list,omitempty"`
	// Path is a JSON path into the object ("$" is the whole object) that
	// must select one value.
	Path string `json:"path"`
	// Render renders the selected string (or the strings of the selected
	// mapping) as templates; ParseYaml parses the selected string as YAML.
	Render    bool `json:"render,omitempty"`
	ParseYaml bool `json:"parseYaml,omitempty"`
}

// HTTPVarsSource loads a YAML or JSON document from a URL:
// `http: {url, method, body, headers, jsonPath}`.
type HTTPVarsSource struct {
	URL     string            `json:"url"`
	Method  *string           `json:"method,omitempty"`
	Body    *string           `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// JSONPath selects the vars inside the response: a string holding a
	// YAML mapping (or a mapping).
	JSONPath *string `json:"jsonPath,omitempty"`
}

// AwsSecretsManagerVarsSource loads the YAML held by an AWS Secrets Manager
// secret: `awsSecretsManager: {secretName, region, profile}`.
type AwsSecretsManagerVarsSource struct {
	// SecretName is the name or the ARN of the secret; a name needs a
	// region.
	SecretName string `json:"secretName"`
	// Region is the AWS region; without it, the region of the ARN.
	Region *string `json:"region,omitempty"`
	// Profile is the profile of the shared AWS config and credentials
	// files to take the credentials from.
	Profile *string `json:"profile,omitempty"`
}

// GcpSecretManagerVarsSource loads the YAML held by a Google Secret
// Manager secret version: `gcpSecretManager: {secretName}`.
type GcpSecretManagerVarsSource struct {
	// SecretName is the version's resource name:
	// projects/PROJECT/secrets/SECRET/versions/VERSION (or latest).
	SecretName string `json:"secretName"`
}

// AzureKeyVaultVarsSource loads the YAML held by an Azure Key Vault secret:
// `azureKeyVault: {vaultUri, secretName}`.
type AzureKeyVaultVarsSource struct {
	// VaultURI is the vault's URL, e.g. https://example.vault.azure.net/.
	VaultURI   string `json:"vaultUri"`
	SecretName string `json:"secretName"`
}

// VaultVarsSource loads the key/value pairs of a HashiCorp Vault secret:
// `vault: {address, path}`.
type VaultVarsSource struct {
	// Address is the server's URL, e.g. https://vault.example.com:8200.
	Address string `json:"address"`
	// Path is the API path of the secret (without /v1/), e.g.
	// secret/data/app for a KV version 2 mount.
	Path string `json:"path"`
}
