package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/lessons/session"
	"github.com/dockling/dockling/sandbox"
	"github.com/dockling/dockling/sandbox/store"
	"github.com/spf13/cobra"
)

// NewAuthorValidateCmd is `dockling author validate`.
func NewAuthorValidateCmd(f *Factory) *cobra.Command {
	var imageDirs []string
	c := &cobra.Command{
		Use:   "validate FILE|DIR...",
		Short: "Report every problem in lesson files as file:line:col: message",
		Long: `Load lesson files (a folder means every *.yaml in it) and report every problem
at once, sorted by position: schema, ids, bindings, templates, steps without checks,
solutions or hints, images that solutions, wrong answers or checks use but images:
does not list. Exit 1 when there is any. The same rules fail "author test" and the
JSON Schema ("author schema") where a schema can express them.

Validation is static: it needs no network and no images. It warns, without failing,
of a listed image that is not on this machine (not built in, no stand-in, in none of
your sandboxes or image archives; "author test" needs it) and of a field indented
into a block of text (try: under text: |).`,
		Example: `  dockling author validate lessons/
  dockling author validate my-lesson.yaml
  dockling author validate --images ~/image-archives my-lesson.yaml`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			root, err := f.Root()
			if err != nil {
				return err
			}
			opts := lessons.ValidateOptions{Builtin: sandbox.CanBuildName, Available: imageHere(root, imageDirs)}
			n := 0
			var problems []lessons.Problem
			for _, file := range lessonPaths(args) {
				src, err := os.ReadFile(file)
				if err != nil {
					problems = append(problems, lessons.Problem{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("reading the lesson: %v", err)})
					continue
				}
				_, ps := lessons.Validate(file, src, opts)
				problems = append(problems, ps...)
				n++
			}
			for _, p := range problems {
				fmt.Fprintln(f.IOStreams.Out, p)
			}
			errs := len(lessons.Errors(problems))
			warned := ""
			if w := len(problems) - errs; w > 0 {
				warned = fmt.Sprintf(", %d warning(s)", w)
			}
			if errs > 0 {
				fmt.Fprintf(f.IOStreams.ErrOut, "%d problem(s)%s\n", errs, warned)
				return &ExitError{Code: exitError}
			}
			fmt.Fprintf(f.IOStreams.Out, "%d lesson(s) valid%s\n", n, warned)
			return nil
		},
	}
	c.Flags().StringArrayVar(&imageDirs, "images", nil, "a folder of image archives (docker save) to count as available (also $"+session.ImagesEnv+")")
	return c
}

// lessonPaths expands folders to the *.yaml files in them.
func lessonPaths(args []string) []string {
	var out []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			files, _ := filepath.Glob(filepath.Join(a, "*.yaml"))
			sort.Strings(files)
			out = append(out, files...)
			continue
		}
		out = append(out, a)
	}
	return out
}

// imageHere says why a listed image is not on this machine: "" when one of the
// sandboxes under root holds it or an archive in dirs tags it. Nothing is probed:
// validate is static.
func imageHere(root string, dirs []string) func(string) string {
	return func(ref string) string {
		if _, err := store.ParseRef(ref); err != nil {
			return fmt.Sprintf("not an image reference dockling can pull (%v)", err)
		}
		if session.FindImage(root, dirs, ref) != "" {
			return ""
		}
		return fmt.Sprintf("not on this machine: it is not built in, has no standin:, and is in none of your sandboxes or image archives (--images, $%s); author test needs it: get it once with docker pull %s or docker load -i FILE", session.ImagesEnv, ref)
	}
}
