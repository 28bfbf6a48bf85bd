package project

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// loadAwsSecretsManager loads an awsSecretsManager source as the original
// does: GetSecretValue of secretName (a name or an ARN) in region (without
// it, the ARN's region; then AWS_REGION or the profile's region), signed
// with the credentials of profile, of the environment or of the default
// profile, in the order of the AWS SDK. The secret's string (or binary)
// is the YAML of the vars; its values are sensitive by default. A missing
// secret (ResourceNotFoundException) is what ignoreMissing ignores.
func (l *varsLoader) loadAwsSecretsManager(ctx context.Context, vars *Vars, src *VarsSource, searchDirs []string) (any, bool, bool, error) {
	a := src.AwsSecretsManager
	desc := "awsSecretsManager " + a.SecretName
	fail := func(err error) (any, bool, bool, error) {
		return nil, true, false, fmt.Errorf("%s: %w", desc, err)
	}
	if a.SecretName == "" {
		return fail(errors.New("secretName is required"))
	}
	profile := ""
	if a.Profile != nil {
		profile = *a.Profile
	}
	creds, prof, err := l.awsCredentials(profile)
	if err != nil {
		return fail(err)
	}
	vars.MarkSensitive([]any{creds.secretAccessKey, creds.sessionToken})
	region := awsRegion(a, l.getenv, prof)
	if region == "" {
		return fail(errors.New("when omitting the AWS region, the secret name must be a valid ARN (or set AWS_REGION)"))
	}
	desc += " (region " + region + ")"
	endpoint, err := url.Parse(l.awsEndpoint(region))
	if err != nil || endpoint.Host == "" {
		return fail(errors.New("the Secrets Manager endpoint is not a URL"))
	}
	if err := checkCredentialURL(endpoint); err != nil {
		return fail(err)
	}
	body, _ := json.Marshal(map[string]string{"SecretId": a.SecretName})
	ctx, cancel := context.WithTimeout(ctx, secretStoreTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return fail(errors.New("invalid request"))
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	awsSign(req, body, creds, "secretsmanager", region, time.Now())
	status, resp, err := doSecretStoreRequest(req)
	if err != nil {
		return fail(err)
	}
	if status != http.StatusOK {
		code, msg := awsError(resp)
		msg = scrubSecrets(msg, creds.secretAccessKey, creds.sessionToken)
		switch code {
		case "ResourceNotFoundException":
			return l.missingSecret(src, desc, "")
		case "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken",
			"ExpiredTokenException", "AccessDeniedException", "InvalidClientTokenId", "SignatureDoesNotMatch":
			return fail(fmt.Errorf("authentication failed: %s: %s (credentials from %s)", code, msg, creds.source))
		}
		return fail(fmt.Errorf("GetSecretValue failed with status %d: %s: %s", status, code, msg))
	}
	var out struct {
		SecretString *string `json:"SecretString"`
		SecretBinary []byte  `json:"SecretBinary"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return fail(errors.New("the GetSecretValue response is not valid JSON"))
	}
	content := string(out.SecretBinary)
	if out.SecretString != nil {
		content = *out.SecretString
	}
	m, err := l.secretVars(ctx, vars, desc, content, searchDirs)
	if err != nil {
		return fail(err)
	}
	return m, true, true, nil
}

// awsRegion is the region of a source: its region, the region of its ARN,
// $AWS_REGION, $AWS_DEFAULT_REGION or the region of the profile.
func awsRegion(a *AwsSecretsManagerVarsSource, getenv func(string) string, profile map[string]string) string {
	if a.Region != nil && *a.Region != "" {
		return *a.Region
	}
	// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
	if f := strings.SplitN(a.SecretName, ":", 7); len(f) == 7 && f[0] == "arn" && f[3] != "" {
		return f[3]
	}
	for _, r := range []string{getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), profile["region"]} {
		if r != "" {
			return r
		}
	}
	return ""
}

// awsEndpoint is Secrets Manager's URL in region; AWS_ENDPOINT_URL_SECRETS_MANAGER
// or AWS_ENDPOINT_URL override it, as in the AWS SDKs.
func (l *varsLoader) awsEndpoint(region string) string {
	if !strings.EqualFold(l.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		for _, name := range []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"} {
			if e := l.getenv(name); e != "" {
				return e
			}
		}
	}
	if strings.HasPrefix(region, "cn-") {
		return "https://secretsmanager." + region + ".amazonaws.com.cn"
	}
	return "https://secretsmanager." + region + ".amazonaws.com"
}

// awsCredentials are the credentials of a signed request.
type awsCredentials struct {
	accessKeyID, secretAccessKey, sessionToken string
	// source says where they come from, for errors.
	source string
}

// awsCredentials finds credentials in the order of the AWS SDK: the
// profile of the source, the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then $AWS_PROFILE or the
// default profile. Profiles are read from the shared credentials and
// config files; only static keys are supported. It also returns the
// settings of the profile it read.
func (l *varsLoader) awsCredentials(profile string) (awsCredentials, map[string]string, error) {
	explicit := profile != ""
	if !explicit {
		if id, secret := l.getenv("AWS_ACCESS_KEY_ID"), l.getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			c := awsCredentials{id, secret, l.getenv("AWS_SESSION_TOKEN"), "the environment (AWS_ACCESS_KEY_ID)"}
			p, _, _ := l.awsProfile(l.getenv("AWS_PROFILE"))
			return c, p, nil
		}
		profile = l.getenv("AWS_PROFILE")
	}
	p, files, err := l.awsProfile(profile)
	if err != nil {
		return awsCredentials{}, nil, err
	}
	name := profile
	if name == "" {
		name = "default"
	}
	if p == nil {
		if explicit || profile != "" {
			return awsCredentials{}, nil, fmt.Errorf("AWS profile %q not found in %s", name, files)
		}
		return awsCredentials{}, nil, errors.New("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the source's profile")
	}
	for _, k := range []string{"role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file", "credential_source"} {
		if p[k] != "" {
			return awsCredentials{}, nil, fmt.Errorf("AWS profile %q uses %s, which this version of kluctl does not support: use static keys or the AWS_ACCESS_KEY_ID environment", name, k)
		}
	}
	if p["aws_access_key_id"] == "" || p["aws_secret_access_key"] == "" {
		return awsCredentials{}, nil, fmt.Errorf("AWS profile %q has no aws_access_key_id and aws_secret_access_key", name)
	}
	return awsCredentials{p["aws_access_key_id"], p["aws_secret_access_key"], p["aws_session_token"], "AWS profile " + name}, p, nil
}

// awsProfile reads the settings of profile ("" is "default") from the
// shared config file ($AWS_CONFIG_FILE, ~/.aws/config) and the shared
// credentials file ($AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials),
// whose settings win. It is nil when neither file has the profile; files
// names the files for errors.
func (l *varsLoader) awsProfile(profile string) (map[string]string, string, error) {
	if profile == "" {
		profile = "default"
	}
	home := l.getenv("HOME")
	path := func(env, name string) string {
		if p := l.getenv(env); p != "" {
			return p
		}
		if home == "" {
			return ""
		}
		return filepath.Join(home, ".aws", name)
	}
	cfgFile, credFile := path("AWS_CONFIG_FILE", "config"), path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
	cfgSection := "profile " + profile
	if profile == "default" {
		cfgSection = "default"
	}
	var out map[string]string
	for _, f := range []struct{ path, section string }{{cfgFile, cfgSection}, {credFile, profile}} {
		s, err := readINISection(f.path, f.section)
		if err != nil {
			return nil, "", fmt.Errorf("read AWS config: %w", err)
		}
		for k, v := range s {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out, credFile + " or " + cfgFile, nil
}

// readINISection returns the keys of [section] in the INI file at path;
// nil when the file or the section does not exist.
func readINISection(path, section string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out map[string]string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			in = strings.Join(strings.Fields(line[1:len(line)-1]), " ") == section
			if in && out == nil {
				out = map[string]string{}
			}
		case in:
			if k, v, ok := strings.Cut(line, "="); ok {
				out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	return out, sc.Err()
}

// awsError returns the code and message of an AWS JSON protocol error
// response ({"__type": "...#Code", "message": "..."}).
func awsError(body []byte) (string, string) {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Type == "" {
		return "UnknownError", "the response is not an AWS error"
	}
	code := e.Type[strings.LastIndex(e.Type, "#")+1:]
	code, _, _ = strings.Cut(code, ":")
	if e.Message == "" {
		e.Message = e.Message2
	}
	return code, e.Message
}

// awsSign signs req, whose body is body, with AWS Signature Version 4.
// Only the headers set so far (and Host) are signed.
func awsSign(req *http.Request, body []byte, c awsCredentials, service, region string, now time.Time) {
	amzDate := now.UTC().Format("20060102T150405Z")
	req.Header.Set("X-Amz-Date", amzDate)
	if c.sessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", c.sessionToken)
	}
	headers := map[string]string{"host": req.URL.Host}
	for k, vs := range req.Header {
		for i := range vs {
			vs[i] = strings.Join(strings.Fields(vs[i]), " ")
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	canonical, signed := awsCanonicalRequest(req.Method, req.URL, headers, sha256Hex(body))
	scope := amzDate[:8] + "/" + region + "/" + service + "/aws4_request"
	sig := awsSignature(c.secretAccessKey, scope, amzDate, sha256Hex([]byte(canonical)))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", c.accessKeyID, scope, signed, sig))
}

// awsCanonicalRequest builds the canonical request of SigV4 and the list
// of signed headers.
func awsCanonicalRequest(method string, u *url.URL, headers map[string]string, payloadHash string) (string, string) {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var segs []string
	for _, s := range strings.Split(path, "/") {
		segs = append(segs, awsEscape(s))
	}
	var pairs [][2]string
	for k, vs := range u.Query() {
		for _, v := range vs {
			pairs = append(pairs, [2]string{awsEscape(k), awsEscape(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		return pairs[i][0] < pairs[j][0] || pairs[i][0] == pairs[j][0] && pairs[i][1] < pairs[j][1]
	})
	query := make([]string, len(pairs))
	for i, p := range pairs {
		query[i] = p[0] + "=" + p[1]
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(method + "\n" + strings.Join(segs, "/") + "\n" + strings.Join(query, "&") + "\n")
	for _, k := range names {
		b.WriteString(k + ":" + headers[k] + "\n")
	}
	signed := strings.Join(names, ";")
	b.WriteString("\n" + signed + "\n" + payloadHash)
	return b.String(), signed
}

// awsSignature signs the string to sign of SigV4 with the key derived
// from secret and scope (DATE/REGION/SERVICE/aws4_request).
func awsSignature(secret, scope, amzDate, canonicalHash string) string {
	key := []byte("AWS4" + secret)
	for _, part := range strings.Split(scope, "/") {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, "AWS4-HMAC-SHA256\n"+amzDate+"\n"+scope+"\n"+canonicalHash))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// awsEscape percent-encodes all but the unreserved characters of RFC 3986.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
