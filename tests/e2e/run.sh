#!/usr/bin/env bash
# e2e: run tests/e2e/cases.txt against a sysrec binary and real sysdig.
# usage: tests/e2e/run.sh BUILD_DIR   (prints one line per case, then "N passed, N failed, N skipped")
#        E2E_ONLY=REGEX tests/e2e/run.sh BUILD_DIR   runs the cases whose name matches
#        E2E_TIMES=FILE tests/e2e/run.sh BUILD_DIR   appends each case's seconds to FILE
#        E2E_SAN=1: the sanitized build; checks leave out their waits on the clock alone
set -uo pipefail

build=${1:-build}
bin=$build/sysrec
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
td=${SYSREC_TESTDATA:-$root/../shared/testdata}
export TZ=UTC
work=$(mktemp -d)
# What the suite started that outlives one check (a container daemon): each
# area adds its stop function to exit_hooks; they run before $work goes.
exit_hooks=()
suite_exit() {
	local h
	for h in "${exit_hooks[@]}"; do "$h"; done
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$work"
}
trap suite_exit EXIT
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); printf '  ok    %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf '  FAIL  %s: %s\n' "$1" "$2"; }
skipped() { skip=$((skip + 1)); printf '  skip  %s: %s\n' "$1" "$2"; }
have_sysdig() { command -v sysdig >/dev/null 2>&1; }

# No request of a check waits for ever on a server that stopped answering;
# a check that needs longer passes its own --max-time after these.
curl() { command curl --connect-timeout 10 --max-time "${E2E_CURL_TIMEOUT:-60}" "$@"; }

# Run CMD... every 0.1 s until it succeeds; non-zero once DEADLINE_S (may be
# fractional) seconds have passed without. Checks wait for a condition (a count,
# a file, a status field) this way rather than sleeping for a guessed time.
wait_for() { # deadline_s cmd...
	local end=$((${EPOCHREALTIME/./} + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }')))
	shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# Whether process PID has exited (gone, or a zombie its parent has not waited for).
exited() { # pid
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -z "$st" ] || [[ $st == Z* ]]
}

# Wait for a process told to stop (its exit status). One still running after
# DEADLINE_S (60) is a bug of its own: a FAIL line names it, it is killed, and
# the status is 124.
stop_wait() { # pid what [deadline_s]
	if wait_for "${3:-60}" exited "$1"; then
		wait "$1"
		return
	fi
	bad "$2" "still running ${3:-60} s after it was told to stop (killed)"
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 124
}

# A new docker-style container id and its cgroup directory (v2, or the v1 cpu
# hierarchy), not yet created: sets cid (64 hex digits) and cgdir.
docker_cgroup() {
	cid=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cgdir=/sys/fs/cgroup/docker/$cid; else cgdir=/sys/fs/cgroup/cpu/docker/$cid; fi
}

# Compare two files; on a difference show the first lines of the diff.
same() { # name a b
	if cmp -s "$2" "$3"; then ok "$1"; else
		bad "$1" "output differs ($(diff "$2" "$3" | grep -c '^[<>]') lines)"
		diff "$2" "$3" | head -6 | cut -c1-200 | sed 's/^/        /'
	fi
}

case_golden() { # name capture expected
	[ -f "$td/$2" ] || { skipped "$1" "no $td/$2"; return; }
	"$bin" read -r "$td/$2" >"$work/out" 2>"$work/err" || { bad "$1" "exit $?: $(head -1 "$work/err")"; return; }
	same "$1" "$work/out" "$td/$3"
}

case_sysdig() { # name capture args...
	local name=$1 cap=$2
	shift 2
	[ -f "$td/$cap" ] || { skipped "$name" "no $td/$cap"; return; }
	have_sysdig || { skipped "$name" "sysdig not installed"; return; }
	sysdig -r "$td/$cap" "$@" >"$work/want" 2>/dev/null || { skipped "$name" "sysdig cannot read it"; return; }
	"$bin" read -r "$td/$cap" "$@" >"$work/out" 2>"$work/err" || { bad "$name" "exit $?: $(head -1 "$work/err")"; return; }
	same "$name" "$work/out" "$work/want"
}

case_rewrite() { # name capture [-z]
	local name=$1 cap=$2
	shift 2
	[ -f "$td/$cap" ] || { skipped "$name" "no $td/$cap"; return; }
	have_sysdig || { skipped "$name" "sysdig not installed"; return; }
	"$bin" read -r "$td/$cap" -w "$work/rw.scap" "$@" 2>"$work/err" || { bad "$name" "exit $?: $(head -1 "$work/err")"; return; }
	"$bin" read -r "$td/$cap" >"$work/want"
	if sysdig -r "$td/$cap" >"$work/want.sd" 2>/dev/null; then
		cp "$work/want.sd" "$work/want"
	fi
	sysdig -r "$work/rw.scap" >"$work/out" 2>"$work/err" || { bad "$name" "sysdig refused the rewrite: $(head -1 "$work/err")"; return; }
	same "$name" "$work/out" "$work/want"
}

# The file a recipe starts from: "demo" is a capture sysrec writes itself,
# anything else a path in the shared testdata.
source_file() { # name
	if [ "$1" = demo ]; then
		[ -f "$work/demo-src.scap" ] || "$bin" demo -w "$work/demo-src.scap"
		echo "$work/demo-src.scap"
	elif [ "$1" = cases ]; then
		echo "$here/cases.txt"
	else
		echo "$td/$1"
	fi
}

# Build the bad input a recipe names; prints its path.
make_input() { # recipe
	local kind=${1%%:*} rest=${1#*:}
	local f=$work/input
	rm -rf "$f"
	case $kind in
	text | truncated | gztruncated | garbage) rest=$(source_file "${rest%%:*}")${rest#"${rest%%:*}"} ;;
	esac
	case $kind in
	text) cp "$rest" "$f" ;;
	empty) : >"$f" ;;
	missing) f=$work/does-not-exist ;;
	dir) mkdir "$f" ;;
	truncated) zcat -f "${rest%%:*}" | head -c "${rest##*:}" >"$f" ;;
	gztruncated) zcat -f "${rest%%:*}" | gzip -c | head -c "${rest##*:}" >"$f" ;;
	garbage) { zcat -f "$rest"; printf '\x01\x02\x00\x00\x10\x00\x00\x00abcd\x10\x00\x00\x00'; } >"$f" ;;
	format) f=$td/scap/falco_syscall.scap ;;
	esac
	echo "$f"
}

case_fail() { # name recipe message
	local name=$1 recipe=$2 msg=$3 input rc want=1 src
	src=${recipe#*:}
	src=${src%%:*}
	case ${recipe%%:*} in
	text | truncated | gztruncated | garbage)
		[ "$src" = demo ] || [ "$src" = cases ] || [ -f "$td/$src" ] || { skipped "$name" "no $td/$src"; return; }
		;;
	format) [ -f "$td/scap/falco_syscall.scap" ] || { skipped "$name" "no $td/scap/falco_syscall.scap"; return; } ;;
	esac
	input=$(make_input "$recipe")
	[ "${recipe%%:*}" = format ] && want=2
	if [ "${recipe%%:*}" = format ]; then
		"$bin" read -r "$input" -p "${recipe#*:}" >/dev/null 2>"$work/err"
	else
		"$bin" read -r "$input" >/dev/null 2>"$work/err"
	fi
	rc=$?
	if [ $rc -ne $want ]; then
		bad "$name" "exit $rc, expected $want: $(head -1 "$work/err")"
	elif [ "$(wc -l <"$work/err")" -ne 1 ]; then
		bad "$name" "expected one error line, got $(wc -l <"$work/err")"
	elif ! grep -q -- "$msg" "$work/err"; then
		bad "$name" "message lacks '$msg': $(cat "$work/err")"
	else
		ok "$name"
	fi
}

check_demo_matches_sysdig() {
	"$bin" demo -w "$work/demo.scap" || { bad "$1" "demo failed"; return; }
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	sysdig -r "$work/demo.scap" >"$work/want"
	"$bin" read -r "$work/demo.scap" >"$work/out"
	[ -s "$work/want" ] || { bad "$1" "sysdig printed nothing"; return; }
	same "$1" "$work/out" "$work/want"
}

check_list_events_matches_sysdig() {
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	sysdig -L >"$work/want"
	"$bin" read --list-events >"$work/out"
	same "$1" "$work/out" "$work/want"
}

# The table we ship is exactly the one compiled into sysdig's libscap.
check_event_table_is_sysdigs() {
	local lib=/usr/lib/x86_64-linux-gnu/libscap.so.0.1.1dev+git20220316.e5c53d64
	[ -f "$lib" ] || { skipped "$1" "sysdig's libscap not installed"; return; }
	cc -o "$work/gen" "$root/scripts/gen-event-table.c" -ldl || { bad "$1" "generator does not build"; return; }
	"$work/gen" >"$work/table.inc" || { bad "$1" "generator failed"; return; }
	cmp -s "$work/table.inc" "$root/src/event/event_table.inc" ||
		{ same "$1" "$work/table.inc" "$root/src/event/event_table.inc"; return; }
	"$work/gen" codes >"$work/codes.h" || { bad "$1" "generator failed (codes)"; return; }
	same "$1" "$work/codes.h" "$root/src/event/event_codes.h"
}

check_gzip_multi_member() {
	local cap=$td/scap/curl_google.scap
	[ -f "$cap" ] || { skipped "$1" "no $cap"; return; }
	# two gzip members, the boundary in the middle of a block
	zcat -f "$cap" >"$work/raw.scap"
	{ head -c 5001 "$work/raw.scap" | gzip -c; tail -c +5002 "$work/raw.scap" | gzip -c; } >"$work/multi.scap.gz"
	"$bin" read -r "$work/multi.scap.gz" >"$work/out" 2>"$work/err" || { bad "$1" "$(cat "$work/err")"; return; }
	same "$1" "$work/out" "$td/scap/curl_google.sysdig.txt"
}

# Two sections (cat a.scap b.scap), the second restating a thread that exited
# in the first. (sysdig does not count a container event opening a later
# section; captures whose second section starts that way differ in evt.num.)
check_concatenated_sections() {
	local a=$td/scap/falco_syscall.scap
	[ -f "$a" ] || { skipped "$1" "no $a"; return; }
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	"$bin" demo -w "$work/d.scap"
	{ zcat -f "$a"; cat "$work/d.scap" "$work/d.scap"; } >"$work/cat.scap"
	sysdig -r "$work/cat.scap" >"$work/want" 2>/dev/null
	"$bin" read -r "$work/cat.scap" >"$work/out" 2>"$work/err" || { bad "$1" "$(cat "$work/err")"; return; }
	same "$1" "$work/out" "$work/want"
}

# The captures of tests/e2e/gen-captures.c print alike in sysdig and sysrec:
# the default line, and -p lines of a container's event and of the sockets
# of the head (client->server), with and without a filter.
check_generated_match_sysdig() {
	local caps=() f n=0 p='%evt.num %evt.type %proc.name %user.name %container.id %container.name %thread.vtid %fd.name %fd.is_server %evt.buflen %evt.category'
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	diff_caps || { bad "$1" "gen-captures could not write its captures"; return; }
	for f in "$work/gencaps"/*.scap; do
		{
			sysdig -r "$f"
			sysdig -r "$f" -p "$p"
			sysdig -r "$f" -p "$p" 'evt.dir=< or evt.type=container'
		} >"$work/want" 2>/dev/null
		{
			"$bin" read -r "$f"
			"$bin" read -r "$f" -p "$p"
			"$bin" read -r "$f" -p "$p" 'evt.dir=< or evt.type=container'
		} >"$work/out" 2>"$work/err" || { bad "$1" "$(basename "$f"): $(head -1 "$work/err")"; return; }
		cmp -s "$work/want" "$work/out" ||
			{ bad "$1" "$(basename "$f"): $(diff "$work/want" "$work/out" | sed -n '2p;4p' | cut -c1-150 | tr '\n' ' ')"; return; }
		n=$((n + $(wc -l <"$work/want")))
	done
	ok "$1 ($n lines)"
}

# Large captures are printed by two threads (the second starts once a batch of
# events fills): the lines must not change, whether events are read in place
# (raw file) or copied (gzip), cut short with -n, or the reader goes away.
check_printer_thread_matches_sysdig() {
	local gen=$build/bench/gen-capture
	[ -x "$gen" ] || { skipped "$1" "no $gen (make builds it)"; return; }
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	"$gen" "$work/big.scap" 150000 >/dev/null || { bad "$1" "gen-capture failed"; return; }
	gzip -c "$work/big.scap" >"$work/big.scap.gz"
	sysdig -r "$work/big.scap" >"$work/want" 2>/dev/null
	sysdig -r "$work/big.scap" -n 123457 >"$work/want-n" 2>/dev/null
	"$bin" read -r "$work/big.scap" >"$work/out" || { bad "$1" "raw: exit $?"; return; }
	"$bin" read -r "$work/big.scap.gz" >"$work/out-gz" || { bad "$1" "gzip: exit $?"; return; }
	"$bin" read -r "$work/big.scap" -n 123457 >"$work/out-n" || { bad "$1" "-n: exit $?"; return; }
	"$bin" read -r "$work/big.scap" | head -n 5000 >"$work/out-head"
	if [ "$(wc -l <"$work/want")" -lt 100000 ]; then
		bad "$1" "sysdig printed only $(wc -l <"$work/want") lines"
	elif ! cmp -s "$work/out" "$work/want"; then
		same "$1 (raw)" "$work/out" "$work/want"
	elif ! cmp -s "$work/out-gz" "$work/want"; then
		same "$1 (gzip)" "$work/out-gz" "$work/want"
	elif ! cmp -s "$work/out-n" "$work/want-n"; then
		same "$1 (-n)" "$work/out-n" "$work/want-n"
	else
		head -n 5000 "$work/want" >"$work/want-head"
		same "$1" "$work/out-head" "$work/want-head"
	fi
}

# A rewrite that fails (unwritable target) reports it and leaves no file behind.
check_write_error_keeps_nothing() {
	local cap=$td/scap/falco_syscall.scap
	[ -f "$cap" ] || { skipped "$1" "no $cap"; return; }
	mkdir -p "$work/ro"
	if "$bin" read -r "$cap" -w "$work/ro/missing-dir/out.scap" 2>"$work/err"; then
		bad "$1" "exit 0 for an unwritable target"
	elif ls "$work/ro/missing-dir" >/dev/null 2>&1; then
		bad "$1" "left files behind"
	elif ! grep -q "cannot create" "$work/err"; then
		bad "$1" "unclear message: $(cat "$work/err")"
	else
		ok "$1"
	fi
}

# -w to a FIFO or device writes it in place (no temporary, no rename over it).
check_write_special_file_in_place() {
	local cap=$td/scap/falco_syscall.scap
	[ -f "$cap" ] || { skipped "$1" "no $cap"; return; }
	mkfifo "$work/fifo"
	local reader
	cat "$work/fifo" >"$work/from-fifo.scap" &
	reader=$!
	"$bin" read -r "$cap" -w "$work/fifo" 2>"$work/err" || { bad "$1" "$(cat "$work/err")"; wait "$reader"; return; }
	wait "$reader" # not a bare wait: the case's watchdog is a child of this shell too
	"$bin" read -r "$cap" -w /dev/null || { bad "$1" "writing /dev/null failed"; return; }
	if [ ! -c /dev/null ] || [ ! -p "$work/fifo" ]; then
		bad "$1" "a special file was replaced"
		return
	fi
	"$bin" read -r "$work/from-fifo.scap" >"$work/out"
	"$bin" read -r "$cap" >"$work/want"
	same "$1" "$work/out" "$work/want"
}

# more checks, one file per area
for f in "$here"/[a-z]*.sh; do
	[ "$f" = "$here/run.sh" ] || . "$f"
done

# The captures the differential checks read, in caps: every shared one
# sysdig reads, and those tests/e2e/gen-captures.c writes (rules of sysdig's
# that the shared ones do not exercise). False when the writer fails.
diff_caps() {
	local f
	caps=()
	for f in "$td"/scap/*.scap; do
		sysdig -r "$f" -p %evt.num evt.num=1 >/dev/null 2>&1 && caps+=("$f")
	done
	if [ ! -d "$work/gencaps" ]; then
		mkdir -p "$work/gencaps" && "$build/e2e/gen-captures" "$work/gencaps" || { rm -rf "$work/gencaps"; return 1; }
	fi
	caps+=("$work/gencaps"/*.scap)
}

# Every filter of tests/e2e/filters.txt selects the same events (-p %evt.num)
# in sysrec and in sysdig, over every capture of diff_caps.
check_filters_match_sysdig() {
	local flt f caps=() nf=0 diffs=0 known=0 bug first=
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	diff_caps || { bad "$1" "gen-captures could not write its captures"; return; }
	while IFS=$'\t' read -r flt bug; do
		case $flt in '' | '#'*) continue ;; esac
		nf=$((nf + 1))
		for f in "${caps[@]}"; do
			sysdig -r "$f" -p %evt.num "$flt" >"$work/fw" 2>"$work/fwe" || {
				if [ -n "$bug" ] && grep -qF -- "$bug" "$work/fwe" &&
					"$bin" read -r "$f" -p %evt.num "$flt" >/dev/null 2>&1; then
					known=$((known + 1))
					continue
				fi
				diffs=$((diffs + 1))
				first=${first:-"sysdig refused '$flt': $(head -1 "$work/fwe")"}
				continue
			}
			"$bin" read -r "$f" -p %evt.num "$flt" >"$work/fg" 2>"$work/fge" || {
				diffs=$((diffs + 1))
				first=${first:-"sysrec refused '$flt': $(head -1 "$work/fge")"}
				continue
			}
			if ! cmp -s "$work/fw" "$work/fg"; then
				diffs=$((diffs + 1))
				first=${first:-"'$flt' on $(basename "$f"): sysdig $(wc -l <"$work/fw") events, sysrec $(wc -l <"$work/fg")"}
			fi
		done
	done <"$here/filters.txt"
	if [ $diffs -eq 0 ]; then
		ok "$1 ($nf filters x ${#caps[@]} captures; $known runs where sysdig fails with its bug)"
	else
		bad "$1" "$diffs of $((nf * ${#caps[@]})) runs differ; first: $first"
	fi
}

# `sysrec read --list-fields` names every field `sysdig -l` lists for the
# classes of syscall captures (evt, proc, thread, fd, fdlist, user, group,
# container, syscall), and each of them compiles in a filter.
check_fields_cover_sysdig() {
	local want have missing n
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	want=$(sysdig -l 2>/dev/null | grep -oE '^(evt|proc|thread|fd|fdlist|user|group|container|syscall)\.[a-z0-9_.]+' | sort -u)
	have=$("$bin" read --list-fields | awk '{ sub(/(\[|\.NAME).*/, "", $1); print $1 }' | sort -u)
	n=$(wc -l <<<"$want")
	[ "$n" -gt 100 ] || { bad "$1" "sysdig -l listed only $n fields"; return; }
	missing=$(comm -23 <(echo "$want") <(echo "$have") | tr '\n' ' ')
	[ -z "$missing" ] || { bad "$1" "sysrec lacks: $missing"; return; }
	ok "$1 ($n fields)"
}

# Every field of tests/e2e/fields.txt prints as sysdig prints it, on every
# capture of diff_caps (tests/e2e/fieldcmp.py does the comparing).
check_fields_match_sysdig() {
	local caps=()
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	diff_caps || { bad "$1" "gen-captures could not write its captures"; return; }
	if python3 "$here/fieldcmp.py" "$bin" "$here/fields.txt" "${caps[@]}" >"$work/fc" 2>&1; then
		ok "$1 ($(tail -1 "$work/fc"))"
	else
		bad "$1" "$(tail -1 "$work/fc"); first: $(head -1 "$work/fc")"
	fi
}

# Every malformed filter of tests/e2e/filter-errors.txt (FILTER <tab> MESSAGE)
# exits 2 with one line on stderr holding MESSAGE.
check_filter_errors() {
	local flt msg rc n=0 cap=$td/scap/falco_syscall.scap
	[ -f "$cap" ] || cap=$work/demo-f.scap
	[ -f "$cap" ] || "$bin" demo -w "$cap" >/dev/null 2>&1
	while IFS=$'\t' read -r flt msg; do
		case $flt in '' | '#'*) continue ;; esac
		n=$((n + 1))
		"$bin" read -r "$cap" "$flt" >/dev/null 2>"$work/ferr"
		rc=$?
		if [ $rc -ne 2 ]; then
			bad "$1" "'$flt': exit $rc, expected 2: $(head -1 "$work/ferr")"
			return
		elif [ "$(wc -l <"$work/ferr")" -ne 1 ] || ! grep -qF -- "$msg" "$work/ferr"; then
			bad "$1" "'$flt': expected one line with '$msg', got: $(cat "$work/ferr")"
			return
		fi
	done <"$here/filter-errors.txt"
	ok "$1 ($n filters)"
}

# `read -w OUT FILTER` writes the matching events only: sysdig sees in OUT
# what it selects from the capture with the same filter.
check_filter_write() {
	local cap=$td/scap/curl_google.scap flt='evt.type in (open, openat) or (fd.name startswith /etc and evt.dir=<)'
	[ -f "$cap" ] || { skipped "$1" "no $cap"; return; }
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	"$bin" read -r "$cap" -w "$work/fw.scap" "$flt" 2>"$work/err" || { bad "$1" "$(head -1 "$work/err")"; return; }
	sysdig -r "$cap" -p '%evt.rawtime %evt.cpu %thread.tid %evt.type' "$flt" >"$work/want" 2>/dev/null
	sysdig -r "$work/fw.scap" -p '%evt.rawtime %evt.cpu %thread.tid %evt.type' >"$work/out" 2>/dev/null
	[ -s "$work/want" ] || { bad "$1" "sysdig selected nothing"; return; }
	same "$1" "$work/out" "$work/want"
}

# `read -w OUT [-F] FILTER` keeps what sysdig's -w [-F] keeps: the same
# events, the same ones hidden (state only), over every capture sysdig reads
# and a few filters; and a reader of the fatfile resolves fds opened by
# events the filter rejected, where a reader of the plain file cannot.
check_filter_write_fatfile() {
	local cap flt ff n=0 hidden=0 evs="$here/scapstat.py --events"
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	for cap in "$td"/scap/*.scap; do
		sysdig -r "$cap" -n 1 >/dev/null 2>&1 || continue # sysdig refuses it (see testdata README)
		for flt in 'evt.type=read' 'fd.name contains /etc' 'proc.name=curl and evt.dir=<' 'evt.type=clone'; do
			for ff in "" -F; do
				n=$((n + 1))
				"$bin" read -r "$cap" -w "$work/fat.scap" $ff "$flt" 2>"$work/err" ||
					{ bad "$1" "$(basename "$cap") $ff '$flt': $(head -1 "$work/err")"; return; }
				sysdig -r "$cap" -w "$work/sdfat.scap" $ff "$flt" >/dev/null 2>&1
				python3 $evs "$work/fat.scap" >"$work/out"
				python3 $evs "$work/sdfat.scap" >"$work/want"
				if ! cmp -s "$work/out" "$work/want"; then
					bad "$1" "$(basename "$cap") $ff '$flt': events kept differ from sysdig's: $(diff "$work/out" "$work/want" | head -3 | tr '\n' ' ')"
					return
				fi
				hidden=$((hidden + $(awk '$1 == 1' "$work/out" | wc -l)))
			done
		done
	done
	[ $n -gt 0 ] || { skipped "$1" "no capture sysdig reads in $td/scap"; return; }
	[ $hidden -gt 0 ] || { bad "$1" "no hidden event was written in $n runs"; return; }
	cap=$td/scap/curl_google.scap flt='evt.type=read'
	local fmt='%evt.rawtime %thread.tid %evt.type %fd.name %proc.name'
	"$bin" read -r "$cap" -w "$work/fat.scap" -F "$flt" 2>/dev/null
	"$bin" read -r "$cap" -w "$work/thin.scap" "$flt" 2>/dev/null
	sysdig -r "$cap" -p "$fmt" "$flt" >"$work/want" 2>/dev/null
	sysdig -r "$work/fat.scap" -p "$fmt" >"$work/out" 2>/dev/null
	sysdig -r "$work/thin.scap" -p "$fmt" >"$work/thin" 2>/dev/null
	if cmp -s "$work/thin" "$work/want"; then
		bad "$1" "without -F the fds of $cap's reads still resolve: the check proves nothing"
		return
	fi
	same "$1 ($n runs, $hidden hidden events)" "$work/out" "$work/want"
}

# `record` refuses a bad filter, and -F without one, before it loads a probe
# (so without root too) and without creating the file.
check_record_filter_refused() {
	local args msg rc
	for args in "proc.name = :filter error at column 12: expected a value after '='" \
		"proc.nosuch=1:unknown field 'proc.nosuch'" "-F:-F needs a FILTER"; do
		msg=${args#*:}
		rm -f "$work/refused.scap"
		# shellcheck disable=SC2086 # the words are the command line
		"$bin" record -w "$work/refused.scap" ${args%%:*} >/dev/null 2>"$work/err"
		rc=$?
		if [ $rc -ne 2 ] || ! grep -qF -- "$msg" "$work/err" || [ -e "$work/refused.scap" ]; then
			bad "$1" "record ${args%%:*}: exit $rc, $(head -1 "$work/err")"
			return
		fi
	done
	ok "$1"
}

# Falco 0.31.1's own rule regression cases (falco_tests.yaml,
# falco_tests_exceptions.yaml) as `sysrec rules validate|replay` runs
# (tests/e2e/falco_cases.py): every case whose trace file is here passes.
check_falco_regression() {
	local tests=$td/falco-0.31.1/tests
	[ -f "$tests/falco_tests.yaml" ] || { skipped "$1" "no $tests/falco_tests.yaml"; return; }
	python3 -c 'import yaml' 2>/dev/null || { bad "$1" "python3-yaml is not installed (scripts/deps.sh)"; return; }
	if python3 "$here/falco_cases.py" "$bin" "$td" >"$work/falco" 2>&1; then
		ok "$1 ($(tail -1 "$work/falco"); skips: $(grep -c '^SKIP' "$work/falco"), see falco_cases.py)"
	else
		bad "$1" "$(tail -1 "$work/falco"); $(grep -m3 '^FAIL' "$work/falco" | cut -c1-400 | tr '\n' ' ')"
	fi
}

# Falco's default ruleset on a generated capture where its rules fire: the
# events the enabled rules' expanded conditions match, one filter, are the
# same for sysrec and sysdig, and `sysrec rules replay -A` raises one alert
# for each of them (rules sysdig's parser refuses are left out on both sides).
check_rules_match_sysdig() {
	local gen=$build/bench/gen-capture rules=$td/falco-0.31.1/rules/falco_rules.yaml dopts=() name have want alerts
	have_sysdig || { skipped "$1" "sysdig not installed"; return; }
	[ -f "$rules" ] || { skipped "$1" "no $rules"; return; }
	[ -x "$gen" ] || { bad "$1" "$gen not built"; return; }
	"$gen" "$work/rules.scap" 200000 >/dev/null || { bad "$1" "gen-capture failed"; return; }
	"$bin" rules list --json "$rules" >"$work/rules.json" || { bad "$1" "rules list failed"; return; }
	python3 "$root/scripts/rules_filter.py" "$work/rules.json" sysdig "$td/scap/falco_empty.scap" \
		"$work/rules-sysdig.sh" "$work/rules-left" >/dev/null || { bad "$1" "rules_filter.py failed"; return; }
	while IFS= read -r name; do dopts+=(-D "$name"); done <"$work/rules-left"
	bash "$work/rules-sysdig.sh" "$work/rules.scap" >"$work/rules-want" 2>&1
	sed 's/^exec [^ ]* -r "$1"/exec "$2" read -r "$1"/' "$work/rules-sysdig.sh" >"$work/rules-sysrec.sh"
	bash "$work/rules-sysrec.sh" "$work/rules.scap" "$bin" >"$work/rules-have" 2>&1
	alerts=$("$bin" rules replay -A --rate 0 "${dopts[@]}" -r "$rules" "$work/rules.scap" 2>/dev/null |
		awk '/^Events detected:/ { print $3 }')
	want=$(wc -l <"$work/rules-want")
	have=$(wc -l <"$work/rules-have")
	if ! cmp -s "$work/rules-want" "$work/rules-have"; then
		bad "$1" "sysrec matched $have events, sysdig $want; first difference: $(diff "$work/rules-want" "$work/rules-have" | sed -n 2p)"
	elif [ "$want" -lt 1000 ] || [ "$alerts" != "$want" ]; then
		bad "$1" "sysdig matched $want events, replay raised ${alerts:-no} alerts"
	else
		ok "$1 ($want events of 200000, $(wc -l <"$work/rules-left") of the rules left out)"
	fi
}

# Issue 19: 25 macros, each naming the one before twice, used by one rule.
# Expanded by copying they would double at each level (20 took 16 s and
# 1.6 GB); `rules validate` refuses the file at once, naming the macro past
# the limit (rules.h: RULES_TERMS_MAX) and its line.
check_rules_nested_macros() {
	local f=$work/nested.yaml rc i
	{
		printf -- '- macro: m1\n  condition: evt.type=open or evt.type=openat\n'
		for i in $(seq 2 25); do printf -- '- macro: m%d\n  condition: m%d or m%d\n' "$i" $((i - 1)) $((i - 1)); done
		printf -- '- rule: r\n  desc: d\n  condition: m25\n  output: o\n  priority: INFO\n'
	} >"$f"
	timeout 20 "$bin" rules validate "$f" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -ne 1 ]; then
		bad "$1" "exit $rc (want 1): $(head -1 "$work/err")"
	elif ! grep -qF "$f:31: error: Macro 'm16' is too large: with macro 'm15' expanded" "$work/err" ||
		! grep -qxF "Macro 'm16' is too large: with macro 'm15' expanded it would hold more than 100000 terms (operators, checks and values)." "$work/out"; then
		bad "$1" "$(head -1 "$work/err")"
	else
		ok "$1"
	fi
}

[ -x "$bin" ] || { echo "e2e: $bin not built" >&2; exit 1; }
[ -d "$td" ] || echo "e2e: shared testdata not found at $td (set SYSREC_TESTDATA); cases that need it are skipped" >&2

# A case that runs past E2E_CASE_TIMEOUT seconds (240) fails instead of
# holding the suite: its watchdog stops every process the case started (TERM,
# then KILL 5 s later), the case returns, and the suite goes on; the failure
# names the command lines it stopped.
descendants() { # pid skip: every process below pid, but skip and its own
	local c
	for c in $(ps -o pid= --ppid "$1"); do
		[ "$c" = "$2" ] && continue
		echo "$c"
		descendants "$c" "$2"
	done
}
watchdog() { # name
	local s= p me=$BASHPID
	trap - EXIT # the suite's (removing $work) is not the watchdog's
	trap '[ -z "$s" ] || kill "$s" 2>/dev/null; exit 0' TERM
	sleep "${E2E_CASE_TIMEOUT:-240}" &
	s=$!
	wait "$s"
	echo "$1" >"$work/timed-out"
	for p in $(descendants $$ "$me"); do
		ps -o args= -p "$p" | cut -c1-80 >>"$work/timed-out"
		kill -TERM "$p" 2>/dev/null
	done
	sleep 5
	for p in $(descendants $$ "$me"); do kill -KILL "$p" 2>/dev/null; done
}

while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	eval "set -- $line"
	kind=$1
	shift
	# E2E_ONLY=REGEX runs only the cases whose name matches
	[ -z "${E2E_ONLY:-}" ] || [[ $1 =~ $E2E_ONLY ]] || continue
	# E2E_SKIP=REGEX says the cases whose name matches are skipped, and why (E2E_SKIP_WHY)
	if [ -n "${E2E_SKIP:-}" ] && [[ $1 =~ $E2E_SKIP ]]; then
		skipped "$1" "${E2E_SKIP_WHY:-E2E_SKIP}"
		continue
	fi
	watchdog "$1" 2>/dev/null &
	wd=$!
	t0=${EPOCHREALTIME/./}
	case $kind in
	golden) case_golden "$@" ;;
	sysdig) case_sysdig "$@" ;;
	rewrite) case_rewrite "$@" ;;
	fail) case_fail "$@" ;;
	check) "check_$1" "$1" ;;
	*) bad "$1" "unknown case kind $kind" ;;
	esac
	kill "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	# E2E_TIMES=FILE: each case's seconds, to find the slow ones
	[ -z "${E2E_TIMES:-}" ] || echo "$(((${EPOCHREALTIME/./} - t0) / 1000000)) $1" >>"$E2E_TIMES"
	if [ -e "$work/timed-out" ]; then
		bad "$1" "timed out after ${E2E_CASE_TIMEOUT:-240} s; its processes were stopped: $(tail -n +2 "$work/timed-out" | paste -sd '|')"
		rm -f "$work/timed-out"
		[ -z "$agent_pid" ] || kill -0 "$agent_pid" 2>/dev/null || agent_pid=
	fi
done <"$here/cases.txt"
agent_stop # when a check of agent.sh left it running

echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
