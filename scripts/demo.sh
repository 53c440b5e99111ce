#!/usr/bin/env bash
# demo.sh: the main job with embedded defaults (make run). As root on a kernel
# with BTF it records this machine for 3 seconds with `sysrec record` and shows
# what is in the capture; elsewhere it writes the built-in demo capture and
# prints that.
set -euo pipefail
bin=${1:-build/sysrec}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	out=$dir/machine.scap
	echo "sysrec: recording this machine for 3 seconds into $out ..." >&2
	(sleep 1 && ls -l /etc >/dev/null && cat /etc/os-release >/dev/null) &
	"$bin" record -w "$out" -M 3 --stats
	wait
	echo "sysrec: the busiest processes and system calls in it:" >&2
	# sed reads to the end: no early close to make the pipeline fail under pipefail
	"$bin" read -r "$out" -p "%proc.name %evt.type" | sort | uniq -c | sort -rn | sed -n 1,15p
	echo "sysrec: its first events (sysrec read -r $out -n 20):" >&2
	"$bin" read -r "$out" -n 20
else
	out=$dir/demo.scap
	echo "sysrec: not root or no kernel BTF, so no live recording; the built-in demo capture instead" >&2
	"$bin" demo -w "$out"
	"$bin" read -r "$out"
fi
