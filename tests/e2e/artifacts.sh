# Sourced by run.sh: `sysrec record`'s artifacts (--artifacts, --capture write/exec).

# `sysrec record --capture write=DIR/keepA/* --capture write=DIR/keepB
# --capture exec` while artifacts.py writes files under both prefixes and
# outside them, and runs binaries (one ending at once, a script, one deleted
# while it runs, one from a memfd): each file under a prefix is kept whole, at its
# offsets (holes stay holes), with every path it had; a file deleted right
# after writing is kept too; no file outside the prefixes is; each binary is
# kept, its bytes those run; nothing is counted lost. Then --artifacts DIR
# with -w beside it: the same directory layout, events written as usual.
check_record_artifacts() {
	local rpid problem="" d=$work/art out
	can_record "$1" || return
	mkdir -p "$d"
	"$bin" record --capture "write=$d/keepA/*" --capture "write=$d/keepB" --capture exec \
		--capture "dir:$work/art-out" --stats 2>"$work/art.err" &
	rpid=$!
	wait_for 10 grep -q 'recording artifacts' "$work/art.err"
	python3 "$here/artifacts.py" work "$d" >"$work/art-want.json" 2>"$work/art-work.err" ||
		problem="$problem the workload failed: $(head -3 "$work/art-work.err");"
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record --capture write)" ||
		problem="$problem record failed: $(grep -v recording "$work/art.err" | head -2);"
	if [ -z "$problem" ]; then
		out=$(python3 "$here/artifacts.py" check "$work/art-out/out" "$work/art-want.json" 2>&1) ||
			problem="$problem $(echo "$out" | head -5 | tr '\n' ';')"
	fi
	# --artifacts DIR beside -w: every kind, and the events as usual
	"$bin" record -w "$work/art.scap" --artifacts "$work/art2" --stats 2>"$work/art2.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/art2.err"
	printf 'beside -w\n' >"$work/art2-file"
	/bin/true
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record --artifacts)" ||
		problem="$problem record --artifacts failed: $(grep -v recording "$work/art2.err" | head -2);"
	python3 - "$work/art2/out/manifest.json" "$work/art2-file" <<'PY' || problem="$problem --artifacts: $(cat "$work/art2.check");"
import json, sys
m = json.load(open(sys.argv[1]))
kinds = {a["kind"] for a in m["artifacts"]}
paths = [p for a in m["artifacts"] for p in a.get("paths", [])]
ok = "write" in kinds and "exec" in kinds and sys.argv[2] in paths
open(sys.argv[1].rsplit("/", 2)[0] + ".check", "w").write("kinds %s, %s kept: %s" % (sorted(kinds), sys.argv[2], sys.argv[2] in paths))
sys.exit(0 if ok else 1)
PY
	[ -s "$work/art.scap" ] || problem="$problem no events written beside --artifacts;"
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 ($out)"
	fi
}

# Bad artifact options are refused before anything starts, saying what is wrong.
check_record_artifacts_refused() {
	local out rc
	out=$("$bin" record --capture mem 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "capture mem" || { bad "$1" "--capture mem: exit $rc: $out"; return; }
	out=$("$bin" record --capture "write=" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "prefix" || { bad "$1" "--capture write=: exit $rc: $out"; return; }
	out=$("$bin" record --artifacts "$work/a" --capture "dir:$work/b" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || { bad "$1" "--artifacts with dir:: exit $rc: $out"; return; }
	ok "$1"
}
