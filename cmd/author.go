package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/dockling/dockling/lessons"
	"github.com/spf13/cobra"
)

// NewAuthorCmd is the `dockling author` group: write and prove lessons.
func NewAuthorCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "author",
		Short: "Write lessons and prove they work",
		Long: `Tools for instructors: start a lesson from a skeleton, validate lesson files
(every problem as file:line:col), and test them offline: each step's checks must fail
before its reference solution, pass after it, and reject its wrong answers.`,
		Example: `  dockling author new my-lesson
  dockling author validate my-lesson.yaml
  dockling author test my-lesson.yaml`,
		Args: noSubcommand,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(NewAuthorNewCmd(f), NewAuthorValidateCmd(f), NewAuthorTestCmd(f, nil),
		&cobra.Command{
			Use:     "reference",
			Short:   "Print every lesson, step, image and quiz field and every check type (Markdown), for lesson authors",
			Example: `  dockling author reference > LESSONS.md`,
			Args:    exactArgs(0),
			RunE: func(c *cobra.Command, args []string) error {
				return lessons.Reference(f.IOStreams.Out)
			},
		},
		&cobra.Command{
			Use:     "schema",
			Short:   "Print the lesson JSON Schema, for editors",
			Example: `  dockling author schema > lesson.schema.json`,
			Args:    exactArgs(0),
			RunE: func(c *cobra.Command, args []string) error {
				_, err := f.IOStreams.Out.Write(lessons.Schema)
				return err
			},
		})
	return c
}

var lessonIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`) }) // compiled on first use: start-up stays fast

// NewAuthorNewCmd is `dockling author new NAME`.
func NewAuthorNewCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "new NAME",
		Short: "Write a commented lesson skeleton to NAME.yaml",
		Long: `Write NAME.yaml: a commented lesson with one step that validates and passes
"dockling author test" as it is, ready to be edited into your own lesson. Its first
line names the lesson JSON Schema for editors (yaml-language-server), written beside
it as ` + schemaFile + ` unless that file exists.`,
		Example: `  dockling author new my-lesson && dockling author test my-lesson.yaml`,
		Args:    exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id := strings.TrimSuffix(filepath.Base(args[0]), ".yaml")
			if !lessonIDRE().MatchString(id) {
				return &FlagError{Err: fmt.Errorf("lesson name %q: use lowercase letters, digits and '-'", id)}
			}
			path := filepath.Join(filepath.Dir(args[0]), id+".yaml")
			out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return fmt.Errorf("creating %s: %w", path, err)
			}
			if _, err := out.WriteString(strings.ReplaceAll(lessonSkeleton, "LESSON-ID", id)); err != nil {
				out.Close()
				return fmt.Errorf("writing %s: %w", path, err)
			}
			if err := out.Close(); err != nil {
				return fmt.Errorf("writing %s: %w", path, err)
			}
			fmt.Fprintf(f.IOStreams.Out, "wrote %s\n", path)
			if err := writeSchemaBeside(path); err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.Out, "try: dockling author test %s\n", path)
			return nil
		},
	}
}

// schemaFile is the name the skeleton gives the shipped schema, beside the lesson.
const schemaFile = "lesson.schema.json"

// writeSchemaBeside writes the shipped schema next to a new lesson, where its
// skeleton's $schema names it, unless a file of that name is there.
func writeSchemaBeside(lesson string) error {
	path := filepath.Join(filepath.Dir(lesson), schemaFile)
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := out.Write(lessons.Schema); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return out.Close()
}

const lessonSkeleton = `# yaml-language-server: $schema=` + schemaFile + `
# A dockling lesson. Check it with:  dockling author validate LESSON-ID.yaml
# Prove it works with:                dockling author test LESSON-ID.yaml
id: LESSON-ID
title: My first lesson
summary: One sentence on what the learner will be able to do afterwards.
# The images the lesson needs; hello-world and busybox are built in (no network).
images: [hello-world]

steps:
  - id: run-hello
    title: Run a container
    # Markdown, shown to the learner.
    text: |
      Every ` + "`docker run`" + ` makes a **new container** from an image and starts it.
      Run the hello-world image and give the container the name ` + "`first`" + `.
    try: docker run --name first hello-world
    # Hints escalate: the learner sees one more each time they ask.
    hints:
      - "--name gives a container a name of your choosing."
      - Type docker run --name first hello-world
    # What "author test" runs as the right answer (no terminal: avoid -it here).
    solution: docker run --name first hello-world
    # Answers the checks must reject.
    wrong:
      - docker run hello-world
    checks:
      - container: {name: first, image: hello-world, state: exited, exit: 0}
        points: 2
        fail: No container named "first" has run hello-world yet.
`
