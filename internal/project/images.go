package project

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"sigs.k8s.io/yaml"

	"github.com/kluctl-go/kluctl/internal/jinja2"
)

// FixedImage pins the image that images.get_image(image) returns, as in
// the target's images, --fixed-image and --fixed-images-file.
type FixedImage struct {
	Image       *string `json:"image,omitempty"`
	ImageRegex  *string `json:"imageRegex,omitempty"`
	ResultImage string  `json:"resultImage"`
	// DeployedImage is the image found in the cluster (images commands).
	DeployedImage *string      `json:"deployedImage,omitempty"`
	Namespace     *string      `json:"namespace,omitempty"`
	Object        *ImageObject `json:"object,omitempty"`
	Deployment    *string      `json:"deployment,omitempty"`
	Container     *string      `json:"container,omitempty"`
	DeployTags    []string     `json:"deployTags,omitempty"`
	DeploymentDir *string      `json:"deploymentDir,omitempty"`
}

// ImageObject names the object a seen image was rendered into, in the
// original's object reference form.
type ImageObject struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// ImageSite is where images.get_image() placeholders are resolved: the
// object and its deployment item.
type ImageSite struct {
	APIVersion, Kind, Name, Namespace string
	// Tags and Dir are the deployment item's tags and folder.
	Tags []string
	Dir  string
}

// ParseFixedImageFlag parses --fixed-image
// image<:namespace:deployment:container>=result.
func ParseFixedImageFlag(s string) (FixedImage, error) {
	left, result, ok := strings.Cut(s, "=")
	if !ok || left == "" || result == "" {
		return FixedImage{}, fmt.Errorf("invalid --fixed-image %q: expected image<:namespace:deployment:container>=result", s)
	}
	parts := strings.Split(left, ":")
	fi := FixedImage{Image: &parts[0], ResultImage: result}
	opt := func(i int) *string {
		if i < len(parts) && parts[i] != "" {
			return &parts[i]
		}
		return nil
	}
	if len(parts) > 4 {
		return FixedImage{}, fmt.Errorf("invalid --fixed-image %q: too many ':' separated parts", s)
	}
	fi.Namespace, fi.Deployment, fi.Container = opt(1), opt(2), opt(3)
	return fi, nil
}

// LoadFixedImagesFile reads a --fixed-images-file (a root list "images").
func LoadFixedImagesFile(path string) ([]FixedImage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Images []FixedImage `json:"images"`
	}
	if err := decodeStrict(path, data, &f); err != nil {
		return nil, err
	}
	return f.Images, nil
}

func fixedImagesFromValues(list []Values) ([]FixedImage, error) {
	var out []FixedImage
	for i, v := range list {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var fi FixedImage
		if err := yaml.UnmarshalStrict(b, &fi); err != nil {
			return nil, fmt.Errorf("images[%d]: %w", i, err)
		}
		out = append(out, fi)
	}
	return out, nil
}

// Placeholders are what images.get_image() renders to; ResolveImages
// replaces them once the object, namespace and container are known.
const (
	imagePlaceholderBegin = "XXXXXbegin_get_image_"
	imagePlaceholderEnd   = "_end_get_imageXXXXX"
)

type imagePlaceholder struct {
	Image            string `json:"image"`
	HasLatestVersion bool   `json:"hasLatestVersion,omitempty"`
}

// imagesGlobal is the `images` object of templates.
func imagesGlobal() map[string]any {
	return map[string]any{"get_image": jinja2.NewFunc("get_image", func(_ context.Context, args []any, kw map[string]any) (any, error) {
		var image any
		if len(args) > 0 {
			image = args[0]
		} else {
			image = kw["image"]
		}
		s, ok := image.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("images.get_image() needs the image name as a string")
		}
		_, latest := kw["latest_version"]
		b, _ := json.Marshal(imagePlaceholder{Image: s, HasLatestVersion: latest || len(args) > 1})
		return imagePlaceholderBegin + base64.StdEncoding.EncodeToString(b) + imagePlaceholderEnd, nil
	})}
}

// ImageResolver replaces get_image placeholders in rendered objects and
// remembers every image it resolved (the seen images of a command result).
// It is safe for concurrent use.
type ImageResolver struct {
	fixed []FixedImage
	mu    sync.Mutex
	seen  []FixedImage
}

// Fixed returns the fixed images: the target's, then the command line's.
func (r *ImageResolver) Fixed() []FixedImage { return append([]FixedImage(nil), r.fixed...) }

// Seen returns the images resolved so far, in a stable order.
func (r *ImageResolver) Seen() []FixedImage {
	r.mu.Lock()
	out := append([]FixedImage(nil), r.seen...)
	r.mu.Unlock()
	key := func(fi FixedImage) string {
		return strings.Join([]string{deref(fi.Namespace), deref(fi.Deployment), deref(fi.Container), deref(fi.Image), fi.ResultImage}, "\x00")
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (r *ImageResolver) record(image, result, container string, at ImageSite) {
	gv, _ := schema.ParseGroupVersion(at.APIVersion)
	deployment := at.Kind + "/" + at.Name
	fi := FixedImage{
		Image: &image, ResultImage: result, Deployment: &deployment, Container: &container,
		Object:     &ImageObject{Group: gv.Group, Version: gv.Version, Kind: at.Kind, Name: at.Name, Namespace: at.Namespace},
		DeployTags: at.Tags,
	}
	if at.Namespace != "" {
		fi.Namespace = &at.Namespace
	}
	if at.Dir != "" {
		fi.DeploymentDir = &at.Dir
	}
	r.mu.Lock()
	r.seen = append(r.seen, fi)
	r.mu.Unlock()
}

// Resolve replaces the placeholders in obj (an unstructured object's map)
// with the matching fixed images; at identifies the object.
func (r *ImageResolver) Resolve(obj map[string]any, at ImageSite, vars *Vars) error {
	var fromVars []FixedImage
	varsLoaded := false
	namespace := at.Namespace
	deployment := at.Kind + "/" + at.Name
	return walkStrings(obj, "", func(s, container string) (string, error) {
		for {
			start := strings.Index(s, imagePlaceholderBegin)
			if start < 0 {
				return s, nil
			}
			end := strings.Index(s[start:], imagePlaceholderEnd)
			if end < 0 {
				return "", fmt.Errorf("broken images.get_image placeholder in %s", deployment)
			}
			end += start
			b, err := base64.StdEncoding.DecodeString(s[start+len(imagePlaceholderBegin) : end])
			if err != nil {
				return "", err
			}
			var ph imagePlaceholder
			if err := json.Unmarshal(b, &ph); err != nil {
				return "", err
			}
			if !varsLoaded {
				if fromVars, err = r.varsImages(vars); err != nil {
					return "", err
				}
				varsLoaded = true
			}
			result, err := lookupFixedImage(ph.Image, namespace, deployment, container, r.fixed, fromVars)
			if err != nil {
				return "", err
			}
			if result == "" {
				return "", fmt.Errorf("failed to find fixed image for %s (object %s/%s); pin it with the target's images, --fixed-image or --fixed-images-file", ph.Image, namespace, deployment)
			}
			r.record(ph.Image, result, container, at)
			s = s[:start] + result + s[end+len(imagePlaceholderEnd):]
		}
	})
}

func (r *ImageResolver) varsImages(vars *Vars) ([]FixedImage, error) {
	raw, ok := vars.Values["images"].([]any)
	if !ok {
		return nil, nil
	}
	var list []Values
	for _, e := range raw {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("vars images: expected a list of fixed images")
		}
		list = append(list, m)
	}
	return fixedImagesFromValues(list)
}

func lookupFixedImage(image, namespace, deployment, container string, lists ...[]FixedImage) (string, error) {
	for _, fis := range lists {
		for i := len(fis) - 1; i >= 0; i-- {
			fi := fis[i]
			if fi.Image != nil && *fi.Image != image {
				continue
			}
			if fi.ImageRegex != nil {
				re, err := regexp.Compile(*fi.ImageRegex)
				if err != nil {
					return "", fmt.Errorf("fixed image regex %q: %w", *fi.ImageRegex, err)
				}
				if !re.MatchString(image) {
					continue
				}
			}
			if (fi.Namespace != nil && *fi.Namespace != namespace) || (fi.Deployment != nil && *fi.Deployment != deployment) || (fi.Container != nil && *fi.Container != container) {
				continue
			}
			return fi.ResultImage, nil
		}
	}
	return "", nil
}

// walkStrings calls f on every string leaf of v with the name of the
// enclosing map (the container name for container specs) and stores what f
// returns.
func walkStrings(v any, parentName string, f func(s, container string) (string, error)) error {
	switch x := v.(type) {
	case map[string]any:
		name, _ := x["name"].(string)
		for k, e := range x {
			if s, ok := e.(string); ok {
				if !strings.Contains(s, imagePlaceholderBegin) {
					continue
				}
				ns, err := f(s, name)
				if err != nil {
					return err
				}
				x[k] = ns
				continue
			}
			if err := walkStrings(e, name, f); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				if !strings.Contains(s, imagePlaceholderBegin) {
					continue
				}
				ns, err := f(s, parentName)
				if err != nil {
					return err
				}
				x[i] = ns
				continue
			}
			if err := walkStrings(e, parentName, f); err != nil {
				return err
			}
		}
	}
	return nil
}
