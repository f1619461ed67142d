// Package authortest runs the author test of the embedded lessons on the real
// runtime: every solution and wrong answer is typed into bash with "docker" meaning
// dockling, journaled as a session would, and checked. It holds only tests; it sits
// apart from package content so the content's own tests do not depend on the
// command line.
package authortest
