// Package secretstores is test tooling for the secret-store vars sources:
// local servers on loopback that implement the documented HTTP APIs of
// HashiCorp Vault (KV versions 1 and 2, token auth), AWS Secrets Manager
// (GetSecretValue over the JSON protocol, with Signature Version 4
// checked), Google Secret Manager (versions:access, with OAuth tokens from
// its token endpoint or metadata server) and Azure Key Vault (Get Secret,
// with tokens from a Microsoft identity platform token endpoint). They
// answer as the real services do, errors included, so that tests are
// contract tests of the clients; nothing of the clients is mocked.
package secretstores
