package simcluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the PEM-encoded keys and certificates of one cluster.
type pki struct {
	caCert, caKey        []byte
	servingCert, servKey []byte
	adminCert, adminKey  []byte
	saPublicKey, saKey   []byte
}

// pkiFiles are the paths of the pki written to a work dir.
type pkiFiles struct {
	caCert, caKey, servingCert, servingKey, saPublicKey, saKey string
}

// adminUser is the client certificate identity of the kubeconfig user; the
// group system:masters is bound to cluster-admin.
const adminUser = "simcluster-admin"

// serviceIP is the first address of the service CIDR, used by the
// "kubernetes" Service and therefore named in the serving certificate.
const (
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1"
)

// newPKI generates a CA, a serving certificate for 127.0.0.1, an admin client
// certificate and an RSA service account key pair.
func newPKI(now time.Time) (*pki, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ca key: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "simcluster-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := signCert(caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse ca: %w", err)
	}

	servingTmpl := leafTemplate(now, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth)
	servingTmpl.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	servingTmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceIP)}
	servingPEM, servingKeyPEM, err := newLeaf(servingTmpl, caCert, caKey)
	if err != nil {
		return nil, err
	}
	adminTmpl := leafTemplate(now, pkix.Name{CommonName: adminUser, Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth)
	adminPEM, adminKeyPEM, err := newLeaf(adminTmpl, caCert, caKey)
	if err != nil {
		return nil, err
	}

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate service account key: %w", err)
	}
	saPub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("encode service account key: %w", err)
	}
	caKeyPEM, err := encodeKey(caKey)
	if err != nil {
		return nil, err
	}
	return &pki{
		caCert:      pemBlock("CERTIFICATE", caDER),
		caKey:       caKeyPEM,
		servingCert: servingPEM,
		servKey:     servingKeyPEM,
		adminCert:   adminPEM,
		adminKey:    adminKeyPEM,
		saPublicKey: pemBlock("PUBLIC KEY", saPub),
		saKey:       pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)),
	}, nil
}

// write stores the pki in dir with private keys readable by the owner only.
func (p *pki) write(dir string) (pkiFiles, error) {
	files := pkiFiles{
		caCert:      filepath.Join(dir, "ca.crt"),
		caKey:       filepath.Join(dir, "ca.key"),
		servingCert: filepath.Join(dir, "apiserver.crt"),
		servingKey:  filepath.Join(dir, "apiserver.key"),
		saPublicKey: filepath.Join(dir, "sa.pub"),
		saKey:       filepath.Join(dir, "sa.key"),
	}
	for path, data := range map[string][]byte{
		files.caCert: p.caCert, files.caKey: p.caKey,
		files.servingCert: p.servingCert, files.servingKey: p.servKey,
		files.saPublicKey: p.saPublicKey, files.saKey: p.saKey,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return files, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return files, nil
}

func leafTemplate(now time.Time, subject pkix.Name, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		Subject:     subject,
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
}

// newLeaf generates a key and a certificate for tmpl signed by the CA.
func newLeaf(tmpl, ca *x509.Certificate, caKey crypto.Signer) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key for %s: %w", tmpl.Subject.CommonName, err)
	}
	der, err := signCert(tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), keyPEM, nil
}

func signCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("generate serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("sign certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	return der, nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pemBlock("EC PRIVATE KEY", der), nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
