package simcluster

import (
	"path/filepath"
	"strconv"
)

// layout names the files of a cluster in its work dir.
type layout struct {
	workDir string
}

func (l layout) pkiDir() string     { return filepath.Join(l.workDir, "pki") }
func (l layout) etcdDir() string    { return filepath.Join(l.workDir, "etcd") }
func (l layout) certDir() string    { return filepath.Join(l.workDir, "apiserver-certs") }
func (l layout) logDir() string     { return filepath.Join(l.workDir, "logs") }
func (l layout) kubeconfig() string { return filepath.Join(l.workDir, "kubeconfig") }
func (l layout) kwokConfig() string { return filepath.Join(l.workDir, "kwok.yaml") }
func (l layout) stateFile() string  { return filepath.Join(l.workDir, "state.json") }
func (l layout) logFile(name string) string {
	return filepath.Join(l.logDir(), name+".log")
}

// ports are the loopback ports of one cluster. The controller manager and the
// scheduler serve nothing; kwok serves the kubelet API of its nodes.
type ports struct {
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiServer"`
	Kubelet    int `json:"kubelet"`
}

func (p ports) etcdURL() string { return "http://127.0.0.1:" + strconv.Itoa(p.EtcdClient) }
func (p ports) peerURL() string { return "http://127.0.0.1:" + strconv.Itoa(p.EtcdPeer) }
func (p ports) server() string  { return "https://127.0.0.1:" + strconv.Itoa(p.APIServer) }

// etcdArgs runs a single-member etcd that skips fsync: the data is thrown
// away with the cluster.
func etcdArgs(l layout, p ports) []string {
	return []string{
		"--name=simcluster",
		"--data-dir=" + l.etcdDir(),
		"--listen-client-urls=" + p.etcdURL(),
		"--advertise-client-urls=" + p.etcdURL(),
		"--listen-peer-urls=" + p.peerURL(),
		"--initial-advertise-peer-urls=" + p.peerURL(),
		"--initial-cluster=simcluster=" + p.peerURL(),
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
}

// apiServerArgs serves on 127.0.0.1 with client certificates for people and
// controllers, service account tokens signed by the generated RSA key and
// Node plus RBAC authorization. It reaches the kubelet API of a node (pod
// logs) at the node's Hostname address, which kwok sets to localhost; kwok's
// serving certificate is self-signed, which the API server accepts when it
// is given no kubelet CA.
//
// The endpoint reconciler is off because the endpoints of the "kubernetes"
// Service may not be loopback addresses. TaintNodesByCondition is off so that
// new kwok nodes carry no not-ready taint: the node lifecycle controller,
// which would remove it, does not run (see controllerManagerArgs).
func apiServerArgs(l layout, p ports, f pkiFiles) []string {
	return []string{
		"--etcd-servers=" + p.etcdURL(),
		"--secure-port=" + strconv.Itoa(p.APIServer),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.saPublicKey,
		"--service-account-signing-key-file=" + f.saKey,
		"--client-ca-file=" + f.caCert,
		"--tls-cert-file=" + f.servingCert,
		"--tls-private-key-file=" + f.servingKey,
		"--cert-dir=" + l.certDir(),
		"--authorization-mode=Node,RBAC",
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=TaintNodesByCondition",
		"--allow-privileged=true",
		"--kubelet-preferred-address-types=Hostname",
		"--profiling=false",
	}
}

// controllerManagerArgs runs all controllers but the node lifecycle one:
// kwok keeps no heartbeat worth judging, and that controller would taint
// and evict. Garbage collection and namespace deletion need the service
// account key and root CA.
func controllerManagerArgs(l layout, f pkiFiles) []string {
	return []string{
		"--kubeconfig=" + l.kubeconfig(),
		"--secure-port=0",
		"--leader-elect=false",
		"--controllers=*,-node-lifecycle-controller",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file=" + f.saKey,
		"--root-ca-file=" + f.caCert,
		"--cluster-signing-cert-file=" + f.caCert,
		"--cluster-signing-key-file=" + f.caKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--profiling=false",
	}
}

func schedulerArgs(l layout) []string {
	return []string{
		"--kubeconfig=" + l.kubeconfig(),
		"--secure-port=0",
		"--leader-elect=false",
		"--profiling=false",
	}
}
