// Package parity is the parity tier: the lectures' command sequences run on Docker
// itself (Debian's docker.io, a daemon on a private socket and data root, started and
// removed by the test) and on dockling, from the same Debian root filesystem, and
// what a learner sees is compared: table headers and rows, status words, exit codes,
// files in the right container, commit history and config, start/attach on a
// terminal, the commit gotcha.
//
// It is slow and needs root, so it runs only with DOCKLING_TIERS=1 (see
// .ci/tiers.sh); otherwise every test skips and says why. Once they are on, nothing
// skips: a dockerd that refuses to start, or a machine without unprivileged user
// namespaces, fails the test with the reason.
package parity
