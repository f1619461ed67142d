package lessons

import "gopkg.in/yaml.v3"

// The decoder follows aliases wherever they are used, so a few nested anchors can
// stand for billions of nodes. These bound what a lesson may expand to; the largest
// embedded lesson is far below them.
const (
	maxNodes = 10000
	maxDepth = 64
)

// withinLimits counts the nodes of doc as the decoder will see them (an alias counts
// its whole target each time it is used) and reports, at the alias that led there,
// a file that expands past maxNodes or nests deeper than maxDepth. The count stops
// at the limit, so an alias bomb costs no more than maxNodes steps.
func (d *decoder) withinLimits(doc *yaml.Node) bool {
	count := 0
	var walk func(n, via *yaml.Node, depth int) bool
	walk = func(n, via *yaml.Node, depth int) bool {
		at := n
		if via != nil {
			at = via
		}
		if count++; count > maxNodes {
			if via != nil {
				d.at(at, "the file expands to more than %d YAML nodes through the alias *%s; write the repeated part out or use fewer aliases", maxNodes, via.Value)
			} else {
				d.at(at, "the file has more than %d YAML nodes", maxNodes)
			}
			return false
		}
		if depth > maxDepth {
			d.at(at, "the file nests deeper than %d levels", maxDepth)
			return false
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return true
			}
			if via == nil {
				via = n
			}
			return walk(n.Alias, via, depth)
		}
		for _, c := range n.Content {
			if !walk(c, via, depth+1) {
				return false
			}
		}
		return true
	}
	return walk(doc, nil, 0)
}

// asNames lists the as: names anywhere in a check entry as written, for a check that
// did not decode.
func asNames(n *yaml.Node, depth int) []string {
	n = resolve(n)
	if n == nil || depth > maxDepth {
		return nil
	}
	var out []string
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := resolve(n.Content[i+1]); n.Content[i].Value == "as" && v != nil && v.Kind == yaml.ScalarNode {
				out = append(out, v.Value)
				continue
			}
			out = append(out, asNames(n.Content[i+1], depth+1)...)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, asNames(c, depth+1)...)
		}
	}
	return out
}
