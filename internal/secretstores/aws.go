package secretstores

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// AWSKey is an access key the AWS server accepts; SessionToken, when set,
// must come along (temporary credentials).
type AWSKey struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// AWSOptions configures an AWS Secrets Manager server.
type AWSOptions struct {
	Region  string
	Account string
	Keys    []AWSKey
}

// AWSSecretsManager implements GetSecretValue of AWS Secrets Manager's
// JSON protocol (POST / with X-Amz-Target: secretsmanager.GetSecretValue)
// and checks Signature Version 4 as AWS documents it: the credential's
// key, scope (date, region, service) and time, and the signature over the
// canonical request of the signed headers. Errors are AWS's
// ({"__type": CODE, "message": ...}, status 400).
type AWSSecretsManager struct {
	server
	opts    AWSOptions
	secrets map[string]awsSecret
}

type awsSecret struct {
	text   *string
	binary []byte
}

// StartAWSSecretsManager starts a Secrets Manager server on loopback.
func StartAWSSecretsManager(opts AWSOptions) *AWSSecretsManager {
	s := &AWSSecretsManager{opts: opts, secrets: map[string]awsSecret{}}
	s.start(s.serve)
	return s
}

// PutString stores a secret string under name and returns its ARN.
func (s *AWSSecretsManager) PutString(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = awsSecret{text: &value}
	return s.arn(name)
}

// PutBinary stores a binary secret under name and returns its ARN.
func (s *AWSSecretsManager) PutBinary(name string, value []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = awsSecret{binary: value}
	return s.arn(name)
}

// arn is the ARN of a secret, with the random suffix AWS appends.
func (s *AWSSecretsManager) arn(name string) string {
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", s.opts.Region, s.opts.Account, name)
}

func (s *AWSSecretsManager) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(code, msg string) {
		w.Header().Set("X-Amzn-ErrorType", code)
		writeJSON(w, "application/x-amz-json-1.1", http.StatusBadRequest, map[string]string{"__type": code, "message": msg})
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		fail("UnknownOperationException", "")
		return
	}
	if code, msg := s.checkSignature(r, body); code != "" {
		fail(code, msg)
		return
	}
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") {
		fail("UnknownOperationException", "")
		return
	}
	var in struct{ SecretId string }
	if json.Unmarshal(body, &in) != nil || in.SecretId == "" {
		fail("InvalidParameterException", "You must provide a SecretId.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, sec := range s.secrets {
		if in.SecretId != name && in.SecretId != s.arn(name) {
			continue
		}
		out := map[string]any{"ARN": s.arn(name), "Name": name, "VersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
			"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": float64(time.Now().Unix())}
		if sec.text != nil {
			out["SecretString"] = *sec.text
		} else {
			out["SecretBinary"] = sec.binary // encoding/json writes base64, as AWS does
		}
		writeJSON(w, "application/x-amz-json-1.1", http.StatusOK, out)
		return
	}
	fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// checkSignature verifies the SigV4 Authorization header of r and returns
// the AWS error code and message when it does not hold.
func (s *AWSSecretsManager) checkSignature(r *http.Request, body []byte) (string, string) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	fields := map[string]string{}
	for _, f := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."
	}
	var key *AWSKey
	for i := range s.opts.Keys {
		if s.opts.Keys[i].AccessKeyID == cred[0] {
			key = &s.opts.Keys[i]
		}
	}
	if key == nil || r.Header.Get("X-Amz-Security-Token") != key.SessionToken {
		return "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	switch {
	case err != nil:
		return "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'."
	case time.Since(t) > 5*time.Minute || time.Until(t) > 5*time.Minute:
		return "InvalidSignatureException", "Signature expired: " + amzDate + " is now earlier than the allowed time window."
	case cred[1] != amzDate[:8] || cred[2] != s.opts.Region || cred[3] != "secretsmanager":
		return "InvalidSignatureException", "Credential should be scoped to a valid region and service, and to the date of X-Amz-Date."
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) || !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return "InvalidSignatureException", "SignedHeaders must be sorted and include host and x-amz-date."
	}
	var canon strings.Builder
	canon.WriteString(r.Method + "\n" + r.URL.EscapedPath() + "\n" + canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signed {
		v := strings.Join(r.Header.Values(h), ",")
		if h == "host" {
			v = r.Host
		}
		canon.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	payload := sha256.Sum256(body)
	canon.WriteString("\n" + fields["SignedHeaders"] + "\n" + hex.EncodeToString(payload[:]))
	canonHash := sha256.Sum256([]byte(canon.String()))
	scope := strings.Join(cred[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(canonHash[:])
	k := []byte("AWS4" + key.SecretAccessKey)
	for _, part := range cred[1:] {
		k = mac(k, part)
	}
	if !hmac.Equal([]byte(hex.EncodeToString(mac(k, toSign))), []byte(fields["Signature"])) {
		return "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return "", ""
}

func mac(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// canonicalQuery is the query of a canonical request: names and values
// percent-encoded (RFC 3986 unreserved characters kept), sorted.
func canonicalQuery(q url.Values) string {
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, strings.ReplaceAll(url.QueryEscape(k), "+", "%20")+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}
