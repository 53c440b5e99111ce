#!/usr/bin/env bash
# check-layering.sh: includes point downward only (DESIGN.md, "Layers").
# Each module may include its own files and the public header of a module of a
# lower rank. Within DESIGN's layer 2 the order is scap < state < filter
# (state is built from scap records; fields read the state). Within layer 4,
# recorder < capture, rules, artifacts (they cut windows out of the recorder).
# A module's public header is src/<mod>/<mod>.h; the few modules with a second
# public header (its own contract, documented at its top) list it in public.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A rank=(
	[common]=0 [event]=1
	[scap]=2 [pcap]=2 [store]=2 [state]=3 [filter]=4
	[engine]=5 [runtime]=5
	[recorder]=6 [capture]=7 [rules]=7 [artifacts]=7
	[agent]=8 [server]=8 [cli]=9
)
declare -A public=(
	[rules]="rules alert"
	[engine]="engine drain"
	[state]="state source"
)
bad=0
for f in $(find src -name '*.c' -o -name '*.h' | sort); do
	mod=$(echo "$f" | cut -d/ -f2)
	[ -n "${rank[$mod]+x}" ] || { echo "$f: module '$mod' has no layer in check-layering.sh"; bad=1; continue; }
	while IFS= read -r inc; do
		# every quoted include: "../MOD/FILE" reaches into another module; a bare
		# name is a file of the module's own directory (or of -Ibpf / -Ibuild/bpf)
		target=$(echo "$inc" | sed -n 's|^#include "\.\./\([^/"]*\)/\([^"]*\)".*|\1 \2|p')
		if [ -z "$target" ]; then
			case $inc in
			'#include "../'*) echo "$f: $inc: expected \"../<module>/<header>\""; bad=1 ;;
			esac
			continue
		fi
		tmod=${target% *} tfile=${target#* }
		thdr=${tfile%.h}
		[ -n "${rank[$tmod]+x}" ] || { echo "$f: includes unknown module $tmod"; bad=1; continue; }
		if [ "$tmod" != "$mod" ] && [ "${rank[$tmod]}" -ge "${rank[$mod]}" ]; then
			echo "$f: $mod (layer ${rank[$mod]}) includes $tmod (layer ${rank[$tmod]}): includes must point downward"
			bad=1
		fi
		if [ "$tmod" != "$mod" ] && [[ " ${public[$tmod]:-$tmod} " != *" $thdr "* ]]; then
			echo "$f: includes $tmod/$tfile, not the module's public header $tmod/$tmod.h"
			bad=1
		fi
	done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*/#include /')
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
