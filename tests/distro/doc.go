// Package distro is the real-distribution tier: a Debian bookworm root filesystem
// made with debootstrap is imported into dockling and tagged ubuntu, and the commit
// lecture (apt-get install python3 included) and the images-vs-containers lecture are
// run on it through the dockling command line, as root and as an unprivileged user.
//
// It is slow and needs root and a network, so it runs only with DOCKLING_TIERS=1
// (see .ci/tiers.sh); otherwise every test skips and says why. Once they are on,
// whatever is missing (root, user namespaces, the root filesystem) fails the test.
package distro
