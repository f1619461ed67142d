package checker_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dockling/dockling/checker"
)

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"filee: {path: /x}", `1:1: unknown check type "filee" (known types: all, any, container, diff, exec, file, image, not, output, ran, store)`},
		{"file: {path: /x, contain: y}", `1:18: unknown field "contain" in file check (known fields: absent, container, contains, exists, image, matches, mode, path, type)`},
		{"file: {container: a}", "1:7: file check needs path:"},
		{"file: {path: /x}\nimage: {}", "2:1: a check has one type, found file and image"},
		{"as: x\npoints: 2", "1:1: check has no type"},
		{"- file: {path: /x}", "1:1: check must be a mapping of fields, found a list"},
		{"file: [path]", "1:7: file check must be a mapping of fields, found a list"},
		{"file: {path: /x, path: /y}", `1:18: file check: field "path" given twice`},
		{"file: {path: /x, matches: '(['}", "1:27: bad regular expression: missing closing ]: `[`"},
		{"file: {path: '{{.x.Name'}", "1:14: template: 1: unclosed action"},
		{"file: {path: '{{.x.Nme}}'}", "1:14: template: binding x has no field Nme (fields: ID, ShortID, Hex, Name, Image, Kind)"},
		{"file: {path: '{{.x}}'}", "1:14: template: {{.x}} needs a field"},
		{"file: {path: /x, mode: 999}", `1:24: file check: mode must be octal permission bits such as "0644", found "999"`},
		{"file: {path: /x, type: socket}", `1:24: file check: type must be one of file, dir, symlink, found "socket"`},
		{"file: {path: /x, absent: true, exists: false}", "1:32: file check: use only one of absent and exists"},
		{"file: {path: /x, container: a, image: b}", "1:32: file check: use only one of container and image"},
		{"file: {path: /x, exists: maybe}", `1:26: file check: exists must be true or false, found "maybe"`},
		{"container: {count: lots}", `1:20: container check: count must be a number or a comparison such as ">=2", found "lots"`},
		{"container: {exit: zero}", `1:19: container check: exit must be a whole number, found "zero"`},
		{"container: {state: paused}", "state must be one of running, exited, created"},
		{"image: {layers: -1}", `image check: layers must be a number, or "+N"`},
		{"image: {base: ubuntu}", `1:9: image check: base: is what layers: "+N" counts from`},
		{"image: {labels: [a]}", "1:17: image check: labels must be a mapping of label: value, found a list"},
		{"image: {env: {a: b}}", "1:14: image check: env must be a list of values, found a mapping"},
		{"ran: {}", "1:6: ran check needs command:"},
		{"ran: {command: x, bind: network}", "bind must be one of container, image"},
		{"output: {command: x}", "1:9: output check needs contains: or matches:"},
		{"exec: {run: x}", "1:7: exec check needs container: or image:"},
		{"exec: {container: marked}", "exec check: run: is needed to run something in a container"},
		{"exec: {image: x, run: \"'open\"}", "exec check: run: read the command line: 1:1: reached EOF without closing quote"},
		{"exec: {image: x, run: \"cat /x | wc\"}", "exec check: run: not one plain command"},
		{"exec: {image: x, run: \"echo $HOME\"}", "exec check: run: $HOME: not one plain command"},
		{"exec: {image: x, timeout: soon}", `exec check: timeout must be a duration such as 10s, found "soon"`},
		{"store: {}", "store check needs path:"},
		{"diff: {path: /x, kind: X}", "kind must be one of A, C, D"},
		{"all: {}", "1:6: all: needs a list of checks, found a mapping"},
		{"any: [{file: {path: /x}, as: y}]", "1:7: any: checks in the list cannot bind with as:"},
		{"all: [{file: {path: /x}, points: 2}]", "1:26: points: only the top-level check of a step carries points"},
		{"not: {file: {path: /x}, as: y}", "1:6: not: the inner check cannot bind with as:"},
		{"not: {filee: {}}", `1:7: unknown check type "filee"`},
		{"file: {path: /x}\nas: 1x", `2:5: as: "1x" is not a usable name`},
		{"file: {path: /x}\nas: latest", `2:5: as: "latest" is a keyword of selectors`},
		{"file: {path: /x, absent: true}\nas: y", "2:1: as: a file check like this one binds nothing"},
		{"ran: {command: x}\nas: y", "2:1: as: a ran check like this one binds nothing (add bind: container or bind: image)"},
		{"output: {contains: x}\nas: y", "binds nothing"},
		{"file: {path: /x}\npoints: -1", "2:9: points must not be negative"},
		{"file: {path: /x}\nfail: '{{.y.Name'", "2:7: template: 1: unclosed action"},
	} {
		got := decodeErr(t, tc.src)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%q:\n got: %s\nwant: %s", tc.src, got, tc.want)
		}
	}
}

func TestDecodeReportsEveryProblem(t *testing.T) {
	got := decodeErr(t, "file: {path: /x, contain: y, type: z}\npoints: x")
	var es checker.Errors
	var doc yaml.Node
	_ = yaml.Unmarshal([]byte("file: {path: /x, contain: y, type: z}\npoints: x"), &doc)
	_, err := checker.DecodeEntry(&doc)
	es = checker.Problems(err, checker.Pos{})
	if len(es) != 3 {
		t.Fatalf("want 3 problems, got %d:\n%s", len(es), got)
	}
	for _, e := range es {
		if e.Pos.Line == 0 || e.Pos.Col == 0 {
			t.Errorf("no position: %v", e)
		}
	}
}

func TestDecodeAliases(t *testing.T) {
	e := decode(t, "file: &f {path: /home/awesome/container.txt}\n")
	if e.Type != "file" {
		t.Fatal(e.Type)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal([]byte("a: &c {file: {path: /x}}\nb: *c\n"), &doc)
	ent, err := checker.DecodeEntry(doc.Content[0].Content[3])
	if err != nil || ent.Type != "file" {
		t.Fatalf("%v %v", ent, err)
	}
}

func TestLabel(t *testing.T) {
	for src, want := range map[string]string{
		`file: {container: any, path: /home/awesome/container.txt, contains: "only exists"}`: `file {container: any, path: /home/awesome/container.txt, contains: "only exists"}`,
		"ran:\n  command: '^docker ps -a'\n":                                                 `ran {command: "^docker ps -a"}`,
		`exec: {image: x, run: [python3, -c, "print(1+1)"]}`:                                 `exec {image: x, run: [python3, -c, print(1+1)]}`,
	} {
		if got := decode(t, src).Label; got != want {
			t.Errorf("%s: label %q, want %q", src, got, want)
		}
	}
	long := decode(t, "file: {path: /"+strings.Repeat("a", 200)+"}").Label
	if n := len([]rune(long)); n > 120 || !strings.HasSuffix(long, "…") {
		t.Errorf("long label %d %q", n, long)
	}
}

func TestRegistry(t *testing.T) {
	var names []string
	for _, ty := range checker.Types() {
		names = append(names, ty.Name)
		if !strings.Contains(ty.Usage, ty.Name+":") {
			t.Errorf("%s: usage shows no example", ty.Name)
		}
		// Every declared field is read by the decoder (no "unknown field"), and
		// a made-up one is refused.
		for _, f := range ty.Fields {
			var doc yaml.Node
			_ = yaml.Unmarshal([]byte(ty.Name+": {"+f+": x}"), &doc)
			_, err := checker.DecodeEntry(&doc)
			if err != nil && strings.Contains(err.Error(), "unknown field") {
				t.Errorf("%s: declared field %s is refused: %v", ty.Name, f, err)
			}
		}
		if ty.Fields != nil {
			var doc yaml.Node
			_ = yaml.Unmarshal([]byte(ty.Name+": {bogus: x}"), &doc)
			if _, err := checker.DecodeEntry(&doc); err == nil || !strings.Contains(err.Error(), `unknown field "bogus"`) {
				t.Errorf("%s: bogus field: %v", ty.Name, err)
			}
		}
	}
	want := []string{"all", "any", "container", "diff", "exec", "file", "image", "not", "output", "ran", "store"}
	if !slices.Equal(names, want) {
		t.Errorf("types %v", names)
	}
	if err := checker.Register(checker.Type{Name: "file", Decode: func(*yaml.Node) (checker.Check, error) { return nil, nil }}); err == nil {
		t.Error("registering file twice worked")
	}
	if err := checker.Register(checker.Type{Name: "as", Decode: func(*yaml.Node) (checker.Check, error) { return nil, nil }}); err == nil {
		t.Error("registering an envelope field worked")
	}
	if err := checker.Register(checker.Type{Name: "x"}); err == nil {
		t.Error("registering without a decoder worked")
	}
	if _, ok := checker.Lookup("file"); !ok {
		t.Error("lookup file")
	}
}

func TestReference(t *testing.T) {
	var b bytes.Buffer
	if err := checker.Reference(&b); err != nil {
		t.Fatal(err)
	}
	for _, ty := range checker.Types() {
		if !strings.Contains(b.String(), "\n## "+ty.Name+"\n") {
			t.Errorf("reference lacks %s", ty.Name)
		}
	}
	if !strings.Contains(b.String(), "as: NAME") {
		t.Error("reference lacks the envelope")
	}
}

func TestValidate(t *testing.T) {
	bound := map[string]bool{"marked": true, "img": true, "later": true}
	known := map[string]checker.Kind{}
	var problems []string
	for _, src := range []string{
		"file: {container: marked, path: /x}",   // marked is bound later: error
		"file: {container: stranger, path: /x}", // a container's own name: fine
		"file: {path: /x}\nas: marked",          // binds marked
		"file: {container: marked, path: /x}",   // fine now
		"ran: {command: '{{.later.Name}}'}",     // template before binding: error
		"ran: {command: '{{.nobody.Name}}'}",    // never bound: error
		"image: {name: marked}",                 // marked is a container: error
		"image: {name: ubuntu}\nas: img",        // binds img
		"file: {image: img, path: /x, contains: '{{.img.ID}}'}\nfail: '{{.marked.Name}}'",
		"all: [{image: {name: img}, as: later}, {ran: {command: '{{.later.Name}}'}}]",
		"not: {container: {name: marked}}",
	} {
		for _, e := range decode(t, src).Validate(known, bound) {
			problems = append(problems, e.Msg)
		}
	}
	want := []string{
		"marked is used before the check that binds it with as: marked",
		"{{.later…}} uses later before the check that binds it",
		"{{.nobody…}} uses nobody, which no earlier check binds (bind it with as: nobody)",
		"marked is bound to a container, but an image is needed here",
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems:\n%s", strings.Join(problems, "\n"))
	}
	if known["marked"] != checker.KindContainer || known["img"] != checker.KindImage || known["later"] != checker.KindImage {
		t.Errorf("known %v", known)
	}
}

func TestRender(t *testing.T) {
	b := checker.Bindings{"m": {Name: "marked", ShortID: "abc"}}
	got, err := checker.Render("docker start {{.m.Name}} ({{.m.ShortID}})", b)
	if err != nil || got != "docker start marked (abc)" {
		t.Errorf("%q %v", got, err)
	}
	if _, err := checker.Render("{{.x.Name}}", b); err == nil || !strings.Contains(err.Error(), "nothing is bound to x yet") {
		t.Errorf("missing binding: %v", err)
	}
	if got, _ := checker.Render("no templates {here}", nil); got != "no templates {here}" {
		t.Error(got)
	}
	// Patterns quote what bindings hold.
	v := lecture()
	v.Ran("docker start a.b", 0, "")
	check(t, v, checker.Bindings{"x": {Name: "a+b"}}, `ran: {command: '^docker start {{.x.Name}}$'}`, want{false, nil})
	check(t, v, checker.Bindings{"x": {Name: "a.b"}}, `ran: {command: '^docker start {{.x.Name}}$'}`, want{true, nil})
}

func TestUnboundIsAFailureNotAnError(t *testing.T) {
	r := decode(t, `file: {path: "/home/{{.nobody.Name}}"}`).Evaluate(&checker.Context{View: lecture()})
	if r.Passed || r.Error != "" || !strings.Contains(r.Message, "this check needs nobody") {
		t.Errorf("%+v", r)
	}
}

// container: {name: marked} with as: marked selects the container named marked and
// binds it under its own name: no "used before it is bound", and it does not wait.
func TestValidateOwnName(t *testing.T) {
	ent := decode(t, "container: {name: marked}\nas: marked")
	known := map[string]checker.Kind{}
	if errs := ent.Validate(known, map[string]bool{"marked": true}); len(errs) > 0 {
		t.Fatalf("problems: %v", errs)
	}
	ctx := &checker.Context{View: lecture()}
	if r := ent.Evaluate(ctx); !r.Passed || ctx.Bindings["marked"].Name != "marked" {
		t.Errorf("%+v, bindings %v", r, ctx.Bindings)
	}
	// Its fail: text still cannot use the binding it makes.
	ent = decode(t, "container: {name: marked}\nas: marked\nfail: 'start {{.marked.Name}}'")
	if errs := ent.Validate(map[string]checker.Kind{}, map[string]bool{"marked": true}); len(errs) != 1 {
		t.Errorf("problems: %v", errs)
	}
}
