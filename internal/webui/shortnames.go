package webui

import (
	"net/http"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ShortName is the short name of a kind, as kubectl knows it.
type ShortName struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	ShortName string `json:"shortName"`
}

// shortNames reads the short names the clusters' API servers announce.
func (s *Server) shortNames() []ShortName {
	seen := map[schema.GroupKind]string{}
	for _, c := range s.clusters {
		lists, _ := c.clients.Discovery.ServerPreferredResources()
		for _, l := range lists {
			gv, err := schema.ParseGroupVersion(l.GroupVersion)
			if err != nil {
				continue
			}
			for _, r := range l.APIResources {
				if len(r.ShortNames) == 0 || strings.Contains(r.Name, "/") {
					continue
				}
				gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
				if _, ok := seen[gk]; !ok {
					seen[gk] = r.ShortNames[0]
				}
			}
		}
	}
	out := make([]ShortName, 0, len(seen))
	for gk, sn := range seen {
		out = append(out, ShortName{Group: gk.Group, Kind: gk.Kind, ShortName: sn})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

func (s *Server) getShortNames(w http.ResponseWriter, _ *http.Request, _ *User) {
	writeJSON(w, http.StatusOK, s.shortNames())
}
