package tierkit

import "strings"

// The unprivileged side of the tiers types the lectures' exact commands but for one
// thing, written here once:
//
//   - apt-get drops to its _apt user (setgroups, seteuid) to download. A user
//     namespace that maps only the learner's own uid, as dockling's rootless mode
//     makes for a user without /etc/subuid ranges (the tiers' user has none), has no
//     _apt to become, so apt-get fails as typed. There apt is told to stay root:
//     RootlessAptOption after every apt-get. (A learner whose account has subordinate
//     ids and newuidmap gets them mapped and types the lecture's line as it is.)
//
// And one thing it sees differ, for the same reason (one id mapped):
//
//   - apt-get gives its log /var/log/apt/term.log to root:adm; adm's gid is not mapped
//     in that namespace, so chown fails with EINVAL and apt-get warns "W: chown to
//     root:adm of file /var/log/apt/term.log failed - OpenLog (22: Invalid argument)"
//     after installing. The install itself is unaffected.
//
// Normalise drops the option and that warning before the unprivileged side's outputs
// are compared with Docker's, so the comparison still covers every other line
// apt-get printed.
// content/internal/authortest, which cannot import this package, applies the same
// rule to the commit lesson's reference solution (its rootlessApt) and points here.
const RootlessAptOption = "-o APT::Sandbox::User=root"

// RootlessApt puts RootlessAptOption after every "apt-get " in line (also inside a
// quoted script, as in printf '…\napt-get update…').
func RootlessApt(line string) string {
	return strings.ReplaceAll(line, "apt-get ", "apt-get "+RootlessAptOption+" ")
}
