package project

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluctl-go/kluctl/internal/secretstores"
)

// TestAwsSignatureTestSuite signs requests of AWS's Signature Version 4
// test suite (and the IAM example of AWS's documentation) and compares
// the Authorization headers with the published ones.
func TestAwsSignatureTestSuite(t *testing.T) {
	creds := awsCredentials{accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, method, url, contentType, service, want string
	}{
		{"get-vanilla", "GET", "https://example.amazonaws.com/", "", "service",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", "POST", "https://example.amazonaws.com/", "", "service",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-vanilla-empty-query-key", "GET", "https://example.amazonaws.com/?Param1=value1", "", "service",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
		{"iam ListUsers", "GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", "application/x-www-form-urlencoded; charset=utf-8", "iam",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			awsSign(req, nil, creds, tc.service, "us-east-1", at)
			if got := req.Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAwsSecretsManagerContract(t *testing.T) {
	key := secretstores.AWSKey{AccessKeyID: "AKIAKLUCTLTEST", SecretAccessKey: "secret-access-key-123"}
	temp := secretstores.AWSKey{AccessKeyID: "ASIAKLUCTLTEMP", SecretAccessKey: "temp-secret-key-456", SessionToken: "session-token-789"}
	srv := secretstores.StartAWSSecretsManager(secretstores.AWSOptions{Region: "eu-central-1", Account: "123456789012", Keys: []secretstores.AWSKey{key, temp}})
	t.Cleanup(srv.Close)
	arn := srv.PutString("app/vars", "db:\n  password: pw-from-aws\n  host: db.{{ env }}\n")
	srv.PutBinary("app/binary", []byte(`{"token": "binary-secret"}`))
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[prod]\naws_access_key_id = ASIAKLUCTLTEMP\naws_secret_access_key = temp-secret-key-456\naws_session_token = session-token-789\n")
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile prod]\nregion = eu-central-1\n")
	env := map[string]string{"AWS_ACCESS_KEY_ID": key.AccessKeyID, "AWS_SECRET_ACCESS_KEY": key.SecretAccessKey, "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL(), "HOME": home}
	tempEnv := map[string]string{"AWS_ACCESS_KEY_ID": temp.AccessKeyID, "AWS_SECRET_ACCESS_KEY": temp.SecretAccessKey, "AWS_SESSION_TOKEN": temp.SessionToken, "AWS_ENDPOINT_URL": srv.URL(), "AWS_REGION": "eu-central-1"}
	region, prod := "eu-central-1", "prod"
	vars := map[string]any{"db": map[string]any{"password": "pw-from-aws", "host": "db.testing"}}
	for _, tc := range []struct {
		name string
		env  map[string]string
		src  AwsSecretsManagerVarsSource
		want map[string]any
	}{
		{"name and region, rendered as a template", env, AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region}, vars},
		{"ARN gives the region", env, AwsSecretsManagerVarsSource{SecretName: arn}, vars},
		{"binary secret", env, AwsSecretsManagerVarsSource{SecretName: "app/binary", Region: &region}, map[string]any{"token": "binary-secret"}},
		{"session credentials, AWS_ENDPOINT_URL and AWS_REGION", tempEnv, AwsSecretsManagerVarsSource{SecretName: "app/vars"}, vars},
		{"profile of the shared files", env, AwsSecretsManagerVarsSource{SecretName: "app/vars", Profile: &prod}, vars},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			got, err := loadSource(t, secretStoreLoader(t, tc.env), VarsSource{AwsSecretsManager: &src})
			if err != nil {
				t.Fatal(err)
			}
			secret := "pw-from-aws"
			if tc.src.SecretName == "app/binary" {
				secret = "binary-secret"
			}
			usedKey := tc.env["AWS_SECRET_ACCESS_KEY"]
			if tc.src.Profile != nil {
				usedKey = temp.SecretAccessKey
			}
			checkLoaded(t, got, tc.want, secret, usedKey)
		})
	}
	t.Run("missing, ignoreMissing", func(t *testing.T) {
		got, err := loadSource(t, secretStoreLoader(t, env), VarsSource{IgnoreMissing: true, TargetPath: "x", AwsSecretsManager: &AwsSecretsManagerVarsSource{SecretName: "missing", Region: &region}})
		if err != nil {
			t.Fatal(err)
		}
		checkLoaded(t, got, map[string]any{"x": map[string]any{}})
	})
}

func TestAwsSecretsManagerErrors(t *testing.T) {
	key := secretstores.AWSKey{AccessKeyID: "AKIAKLUCTLTEST", SecretAccessKey: "secret-access-key-123"}
	srv := secretstores.StartAWSSecretsManager(secretstores.AWSOptions{Region: "eu-central-1", Account: "123456789012", Keys: []secretstores.AWSKey{key}})
	t.Cleanup(srv.Close)
	srv.PutString("app/vars", "a: b\n")
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile sso]\nsso_session = corp\n")
	region, us, sso, none := "eu-central-1", "us-east-1", "sso", "nope"
	base := func(extra ...string) map[string]string {
		env := map[string]string{"AWS_ACCESS_KEY_ID": key.AccessKeyID, "AWS_SECRET_ACCESS_KEY": key.SecretAccessKey, "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.URL(), "HOME": home}
		for i := 0; i < len(extra); i += 2 {
			env[extra[i]] = extra[i+1]
		}
		return env
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		src  AwsSecretsManagerVarsSource
		want string
	}{
		{"wrong secret key", base("AWS_SECRET_ACCESS_KEY", "wrong-secret-key-000"), AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region},
			"awsSecretsManager app/vars (region eu-central-1): authentication failed: InvalidSignatureException: The request signature we calculated does not match"},
		{"unknown key", base("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN"), AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region},
			"authentication failed: UnrecognizedClientException: The security token included in the request is invalid. (credentials from the environment (AWS_ACCESS_KEY_ID))"},
		{"wrong region", base(), AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &us}, "authentication failed: InvalidSignatureException: Credential should be scoped to a valid region"},
		{"missing", base(), AwsSecretsManagerVarsSource{SecretName: "missing", Region: &region}, "awsSecretsManager missing (region eu-central-1): secret not found; set ignoreMissing: true"},
		{"no region", base(), AwsSecretsManagerVarsSource{SecretName: "app/vars"}, "when omitting the AWS region, the secret name must be a valid ARN"},
		{"plain http to another host", base("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://secretsmanager.example.com"), AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region},
			"refusing to send credentials over plain http to secretsmanager.example.com"},
		{"no credentials", map[string]string{"HOME": t.TempDir()}, AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region}, "no AWS credentials found"},
		{"unsupported profile", base(), AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region, Profile: &sso}, `AWS profile "sso" uses sso_session, which this version of kluctl does not support`},
		{"unknown profile", base(), AwsSecretsManagerVarsSource{SecretName: "app/vars", Region: &region, Profile: &none}, `AWS profile "nope" not found`},
		{"no secret name", base(), AwsSecretsManagerVarsSource{Region: &region}, "secretName is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			_, err := loadSource(t, secretStoreLoader(t, tc.env), VarsSource{AwsSecretsManager: &src})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if s := tc.env["AWS_SECRET_ACCESS_KEY"]; s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains the secret key", err)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
