#!/usr/bin/env bash
# Grades 100 copies of a bundle of the lecture lesson (issue target: ≤ 5 s on 2 cores).
# The bundle comes from the lesson's own reference solutions (author test --keep).
#   bench/grade100.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
go build -o "$work/dockling" ./cmd/dockling
export DOCKLING_ROOT="$work/root"
d="$work/dockling"
"$d" author test --keep content/images-vs-containers.yaml >/dev/null 2>&1
"$d" --sandbox author-test-images-vs-containers submit images-vs-containers -o "$work/one.tar.gz" >/dev/null
mkdir "$work/batch"
for i in $(seq -w 1 100); do cp "$work/one.tar.gz" "$work/batch/learner$i.tar.gz"; done
# One warm-up run makes the grader's base images; the timed runs reuse them.
"$d" grade --lesson images-vs-containers "$work/batch/learner001.tar.gz" >/dev/null 2>&1
for run in 1 2 3; do
	start=$(date +%s.%N)
	"$d" grade --lesson images-vs-containers --format csv "$work"/batch/*.tar.gz >/dev/null 2>&1
	end=$(date +%s.%N)
	echo "run $run: graded 100 bundles in $(awk "BEGIN{printf \"%.2f\", $end-$start}") s"
done
