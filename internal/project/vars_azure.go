package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// azureSecretName is what Key Vault accepts as a secret name, azureTenant
// what AZURE_TENANT_ID may hold (an id or a domain).
var (
	azureSecretName = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
	azureTenant     = regexp.MustCompile(`^[0-9A-Za-z.-]+$`)
)

// loadAzureKeyVault loads an azureKeyVault source as the original does:
// the latest version of the secret secretName in the vault at vaultUri,
// read through Key Vault's REST API with a token of the Azure credentials
// of the environment (see azureToken). The secret's value is the YAML of
// the vars; its values are sensitive by default. A missing secret (or an
// empty value, as in the original) is what ignoreMissing ignores.
func (l *varsLoader) loadAzureKeyVault(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) (any, bool, bool, error) {
	a := src.AzureKeyVault
	desc := fmt.Sprintf("azureKeyVault %s secret %s", redactURL(a.VaultURI), a.SecretName)
	fail := func(err error) (any, bool, bool, error) {
		return nil, true, false, fmt.Errorf("%s: %w", desc, err)
	}
	vault, err := url.Parse(a.VaultURI)
	switch {
	case a.VaultURI == "":
		return fail(errors.New("vaultUri is required"))
	case err != nil || vault.Host == "" || vault.User != nil:
		return fail(errors.New("vaultUri is not a URL like https://NAME.vault.azure.net/"))
	case !azureSecretName.MatchString(a.SecretName):
		return fail(errors.New("secretName must be 1 to 127 letters, digits and dashes"))
	}
	if err := checkCredentialURL(vault); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, secretStoreTimeout)
	defer cancel()
	token, source, err := l.azureToken(ctx, azureResource(vault.Hostname()))
	if err != nil {
		return fail(err)
	}
	vars.MarkSensitive([]any{token})
	u := vault.JoinPath("secrets", a.SecretName)
	u.RawQuery = "api-version=7.4"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(errors.New("invalid request"))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	status, body, err := doSecretStoreRequest(req)
	if err != nil {
		return fail(err)
	}
	var out struct {
		Value *string `json:"value"`
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil && status == http.StatusOK {
		return fail(errors.New("the response is not valid JSON"))
	}
	msg := scrubSecrets(out.Error.Code+": "+out.Error.Message, token)
	switch {
	case status == http.StatusNotFound:
		return l.missingSecret(src, desc, "")
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fail(fmt.Errorf("authentication failed (status %d): %s (token from %s)", status, msg, source))
	case status != http.StatusOK:
		return fail(fmt.Errorf("get secret failed with status %d: %s", status, msg))
	case out.Value == nil || *out.Value == "":
		return l.missingSecret(src, desc, " (its value is empty)")
	}
	m, err := l.secretVars(ctx, vars, desc, *out.Value, searchDirs)
	if err != nil {
		return fail(err)
	}
	return m, true, true, nil
}

// azureResource is the resource whose tokens a vault host accepts: the
// Key Vault of its cloud.
func azureResource(host string) string {
	for _, suffix := range []string{"vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de", "managedhsm.azure.net"} {
		if strings.HasSuffix(host, "."+suffix) {
			return "https://" + suffix
		}
	}
	return "https://vault.azure.net"
}

// azureToken finds an access token for resource as the Azure SDK's
// DefaultAzureCredential does with the environment: a client secret
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET) or a workload
// identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE),
// exchanged at AZURE_AUTHORITY_HOST (login.microsoftonline.com by
// default). $KLUCTL_AZURE_ACCESS_TOKEN, a Key Vault token made elsewhere
// (e.g. by `az account get-access-token --resource
// https://vault.azure.net`), comes first. It returns where the token came
// from.
func (l *varsLoader) azureToken(ctx context.Context, resource string) (string, string, error) {
	if t := l.getenv("KLUCTL_AZURE_ACCESS_TOKEN"); t != "" {
		return t, "KLUCTL_AZURE_ACCESS_TOKEN", nil
	}
	tenant, client := l.getenv("AZURE_TENANT_ID"), l.getenv("AZURE_CLIENT_ID")
	secret, tokenFile := l.getenv("AZURE_CLIENT_SECRET"), l.getenv("AZURE_FEDERATED_TOKEN_FILE")
	if tenant == "" || client == "" || (secret == "" && tokenFile == "") {
		return "", "", errors.New("no Azure credentials found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE); managed identities and Azure CLI logins are not supported by this version of kluctl")
	}
	if !azureTenant.MatchString(tenant) {
		return "", "", errors.New("AZURE_TENANT_ID is not a tenant id or domain")
	}
	authority := l.getenv("AZURE_AUTHORITY_HOST")
	if authority == "" {
		authority = "https://login.microsoftonline.com/"
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "scope": {resource + "/.default"}}
	source := "AZURE_CLIENT_SECRET"
	if secret != "" {
		form.Set("client_secret", secret)
	} else {
		assertion, err := os.ReadFile(tokenFile)
		if err != nil {
			return "", "", fmt.Errorf("read AZURE_FEDERATED_TOKEN_FILE: %w", err)
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", strings.TrimSpace(string(assertion)))
		source = "AZURE_FEDERATED_TOKEN_FILE"
	}
	t, err := postTokenForm(ctx, strings.TrimSuffix(authority, "/")+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		return "", "", fmt.Errorf("get a token with %s for client %s: %s", source, client, scrubSecrets(err.Error(), secret))
	}
	return t, source + " (client " + client + ")", nil
}
