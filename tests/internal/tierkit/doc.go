// Package tierkit is what the slow test tiers under tests/ share: the gate
// (DOCKLING_TIERS=1), the Debian root filesystem they import, engines that run the
// docker command line (dockling, as root or as an unprivileged user, and Docker's own
// daemon on a private socket), a scripted terminal for the interactive parts, the
// lecture's command sequences, and the one place where outputs are normalised before
// dockling and Docker are compared.
//
// The tiers are switched on by .ci/tiers.sh, which installs debootstrap and docker.io,
// builds the root filesystem once per machine and runs
// DOCKLING_TIERS=1 go test -count=1 -p 1 -v ./tests/...; without the variable every
// test skips and says why, so go test ./... stays fast. With it nothing skips: what
// is missing fails the test with the reason.
package tierkit
