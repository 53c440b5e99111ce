#!/usr/bin/env bash
# demo.sh: the main job with embedded defaults. Writes a small capture with the
# writer and prints it with `sysrec read` (later releases record this machine).
set -euo pipefail
bin=${1:-build/sysrec}
out=$(mktemp -d)/demo.scap
trap 'rm -rf "$(dirname "$out")"' EXIT
"$bin" demo -w "$out"
echo "sysrec: wrote $out; sysrec read -r $out:" >&2
"$bin" read -r "$out"
