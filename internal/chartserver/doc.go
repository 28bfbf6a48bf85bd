// Package chartserver is test tooling for Helm chart pulls: it builds real
// chart archives with the Helm SDK and serves them from real servers on
// loopback, an HTTP(S) chart repository (Repo, with basic auth, TLS and
// client certificates) and an OCI registry (Registry, with basic auth).
// Nothing is mocked: tests point the Helm SDK, or the CLI, at these servers.
package chartserver
