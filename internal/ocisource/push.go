package ocisource

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ParseTaggedURL parses the URL `kluctl oci push` takes:
// oci://<registry>/<repository>[:<tag>]; the tag defaults to latest.
func ParseTaggedURL(s string) (URL, string, error) {
	rest, ok := strings.CutPrefix(s, "oci://")
	if !ok {
		return URL{}, "", fmt.Errorf("%q is not an oci:// URL", s)
	}
	host, path, _ := strings.Cut(rest, "/")
	if strings.Contains(path, "@") {
		return URL{}, "", fmt.Errorf("invalid artifact url %q: push to a tag, not a digest", s)
	}
	tag := "latest"
	if i := strings.LastIndex(path, ":"); i >= 0 {
		path, tag = path[:i], path[i+1:]
	}
	u, err := ParseURL("oci://" + host + "/" + path)
	if err != nil {
		return URL{}, "", err
	}
	if !tagRe.MatchString(tag) {
		return URL{}, "", fmt.Errorf("invalid tag %q in %s", tag, s)
	}
	return u, tag, nil
}

// Pushed describes a pushed artifact, as the original prints it.
type Pushed struct {
	// URL is oci://<registry>/<repository>@<digest>.
	URL string `json:"url"`
	// Repository is <registry>/<repository>.
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
}

// Push packs the project folder dir (see Pack) and pushes it to the
// repository u as tag, with the annotations; created defaults to now.
func Push(ctx context.Context, reg *Registry, u URL, tag, dir string, annotations map[string]string) (*Pushed, error) {
	fail := func(err error) (*Pushed, error) {
		return nil, &Error{Op: "push", URL: u.String(), Ref: "tag " + tag, Err: err}
	}
	content, err := Pack(dir)
	if err != nil {
		return fail(fmt.Errorf("pack %s: %w", dir, err))
	}
	anns := map[string]string{CreatedAnnotation: time.Now().UTC().Format(time.RFC3339)}
	for k, v := range annotations {
		anns[k] = v
	}
	if anns[CreatedAnnotation] == "" {
		anns[CreatedAnnotation] = time.Now().UTC().Format(time.RFC3339)
	}
	img, err := Image(content, anns)
	if err != nil {
		return fail(err)
	}
	repo, ropts, done, err := reg.repository(ctx, u)
	if err != nil {
		return fail(err)
	}
	defer done()
	if err := remote.Write(repo.Tag(tag), img, ropts...); err != nil {
		return fail(explain(err))
	}
	digest, err := img.Digest()
	if err != nil {
		return fail(err)
	}
	d := repo.Digest(digest.String())
	return &Pushed{URL: "oci://" + d.String(), Repository: repo.Name(), Tag: tag, Digest: digest.String()}, nil
}
