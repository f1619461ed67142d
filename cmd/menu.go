package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"unicode/utf8"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"
	"github.com/dockling/dockling/internal/iostreams"
	"github.com/dockling/dockling/lessons"
	"github.com/dockling/dockling/lessons/session"
)

// lessonStatus is a lesson's progress in a few words: "new", "3/9 steps", "done ✔".
func lessonStatus(root string, l *lessons.Lesson) string {
	p, err := session.LoadProgress(root, l.ID)
	if err != nil {
		return "progress unreadable"
	}
	switch n := p.CompletedOf(session.FromLesson(l)); {
	case p.Done || p.Finished || n == len(l.Steps):
		// Finished once, if the learner went back to a step since: still done.
		return "done ✔"
	case n == 0 && p.Step == 0:
		return "new"
	default:
		return fmt.Sprintf("%d/%d steps", n, len(l.Steps))
	}
}

// lessonRows lays the lessons out in aligned columns: ID, title, progress.
func lessonRows(root string, all []*lessons.Lesson) []string {
	idW, titleW := 0, 0
	for _, l := range all {
		idW = max(idW, utf8.RuneCountInString(l.ID))
		titleW = max(titleW, utf8.RuneCountInString(l.Title))
	}
	rows := make([]string, len(all))
	for i, l := range all {
		rows[i] = fmt.Sprintf("%-*s  %-*s  %s", idW, l.ID, titleW, l.Title, lessonStatus(root, l))
	}
	return rows
}

// printLessonList is the menu where no one can answer it: the list and how to start.
func printLessonList(ios *iostreams.IOStreams, root string, all []*lessons.Lesson) error {
	if len(all) == 0 {
		fmt.Fprintln(ios.Out, "No lessons found. Load some with: dockling learn --lessons DIR")
		return nil
	}
	fmt.Fprintln(ios.Out, "Lessons:")
	for _, r := range lessonRows(root, all) {
		fmt.Fprintln(ios.Out, "  "+r)
	}
	fmt.Fprintln(ios.Out, "\nStart one with: dockling learn LESSON")
	return nil
}

// errLeaveMenu: the learner chose to leave (or pressed Ctrl-C / Ctrl-D).
var errLeaveMenu = errors.New("leaving the menu")

// pickLesson asks which lesson to follow.
func pickLesson(ios *iostreams.IOStreams, root string, all []*lessons.Lesson) (*lessons.Lesson, error) {
	in, inOK := ios.In.(*os.File)
	out, outOK := ios.Out.(*os.File)
	if !inOK || !outOK {
		return nil, errors.New("showing the lesson menu: not a terminal")
	}
	options := append(lessonRows(root, all), "Leave")
	idx := 0
	err := survey.AskOne(&survey.Select{Message: "Pick a lesson:", Options: options, PageSize: 15}, &idx,
		survey.WithStdio(in, out, ios.ErrOut))
	switch {
	case errors.Is(err, terminal.InterruptErr):
		return nil, errLeaveMenu
	case err != nil:
		return nil, fmt.Errorf("showing the lesson menu: %w", err)
	case idx == len(all):
		return nil, errLeaveMenu
	}
	return all[idx], nil
}

// lessonMenu offers the lessons until the learner leaves; quitting a lesson comes
// back here, with its progress updated.
func lessonMenu(ctx context.Context, opts *LearnOptions, root string, all []*lessons.Lesson) error {
	if len(all) == 0 {
		return printLessonList(opts.IO, root, all)
	}
	// Ctrl-C belongs to the learner's commands and questions (and stops watching):
	// it must not end the menu too. SIGTERM and a closed terminal still do.
	ctx, stop := signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	for ctx.Err() == nil {
		l, err := pickLesson(opts.IO, root, all)
		if errors.Is(err, errLeaveMenu) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := runLesson(ctx, opts, root, l); err != nil {
			return err
		}
		// quit left the lesson, not dockling: say where the learner is now.
		fmt.Fprintln(opts.IO.Out, "\nBack at the lessons: pick one, or Leave (Ctrl-C) to end dockling.")
	}
	return nil
}
