package cmdline

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is the registry a reference without one names.
const dockerHub = "index.docker.io"

// NormRef writes an image reference as dockling stores tags, by Docker's rules
// (go-containerregistry's): Docker Hub and its library/ left out, :latest when
// neither a tag nor a digest is given. A string that is no reference comes back as it
// is.
func NormRef(s string) string {
	ref, err := name.ParseReference(s)
	if err != nil {
		return s
	}
	repo := ref.Context().RepositoryStr()
	if reg := ref.Context().RegistryStr(); reg != dockerHub {
		repo = reg + "/" + repo
	} else {
		repo = strings.TrimPrefix(repo, "library/")
	}
	if _, digest := ref.(name.Digest); digest {
		return repo + "@" + ref.Identifier()
	}
	return repo + ":" + ref.Identifier()
}

// SameRef says two references name the same image reference.
func SameRef(a, b string) bool { return NormRef(a) == NormRef(b) }
