#!/usr/bin/env bash
# demo.sh: the main job with embedded defaults (make run). As root on a kernel
# with BTF it runs the agent in the foreground - flight recorder, captures,
# the API on 127.0.0.1:7070, data in ./sysrec-data - and prints how to take,
# list and download a capture from another terminal. Elsewhere it writes the
# built-in demo capture and prints that.
set -euo pipefail
bin=${1:-build/sysrec}
if [ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	data=${SYSREC_DATA:-$PWD/sysrec-data}
	listen=${SYSREC_LISTEN:-127.0.0.1:7070}
	abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
	cat >&2 <<EOF
sysrec: starting the agent (data in $data, API on http://$listen; Ctrl-C stops it).
From another terminal:
  export SYSREC_DATA=$data SYSREC_URL=http://$listen
  $abs capture take --name first --before 5 --after 5   # 5 s before now and 5 s after
  $abs capture list
  $abs capture download ID -o first.scap && sysdig -r first.scap | head
  $abs capture delete ID
  curl -H "Authorization: Bearer \$($abs token)" http://$listen/api/status
EOF
	exec "$bin" agent --data "$data" --listen "$listen"
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$dir/demo.scap
echo "sysrec: not root or no kernel BTF, so no agent; the built-in demo capture instead" >&2
"$bin" demo -w "$out"
"$bin" read -r "$out"
