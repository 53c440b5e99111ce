# Sourced by run.sh: `sysrec record`'s artifacts (--artifacts, --capture write/exec).

# `sysrec record --capture write=DIR/keepA/* --capture write=DIR/keepB
# --capture exec` while artifacts.py writes files under both prefixes and
# outside them, and runs binaries (one ending at once, a script, one deleted
# while it runs, one from a memfd): each file under a prefix is kept whole, at its
# offsets (holes stay holes), with every path it had; a file deleted right
# after writing is kept too; no file outside the prefixes is; each binary is
# kept, its bytes those run; nothing is counted lost. Then --artifacts DIR
# with -w beside it while artifacts.py work2 runs wx-unpack (a C program that
# maps memory writable and executable, writes code into it and makes it
# executable only), loads a module object the test builds (ELF, .modinfo)
# with init_module and a copy from a file with finit_module (both fail on this
# kernel), loads a BPF program and runs true twice: the region's bytes with
# its protections before and after, the W+X mapping noted, both images, the
# program's instructions by name, true stored once and counted twice and in
# profile.json; events written as usual, and each of those artifacts names
# its events in the .scap (the mprotect exit, the init_module, finit_module and
# bpf enters, each execve exit), as `sysrec read` and sysdig number them. Then `sysrec profile diff` of two
# profiles, the second with a binary the first did not run: it is named, exit 1.
check_record_artifacts() {
	local rpid problem="" d=$work/art out out2 out3 rc
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
	# --artifacts DIR beside -w: every kind and the profile, and the events as usual
	[ -x "$build/e2e/wx-unpack" ] || { bad "$1" "$build/e2e/wx-unpack missing (make e2e builds it)"; return; }
	cc -c -O1 -o "$work/sysrec_e2e.ko" "$here/fake-module.c" || { bad "$1" "cannot build the module object"; return; }
	"$bin" record -w "$work/art.scap" --artifacts "$work/art2" --stats 2>"$work/art2.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/art2.err"
	python3 "$here/artifacts.py" work2 "$work/art2-work" "$build/e2e/wx-unpack" "$work/sysrec_e2e.ko" \
		>"$work/art2-want.json" 2>"$work/art2-work.err" ||
		problem="$problem the second workload failed: $(head -3 "$work/art2-work.err");"
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record --artifacts)" ||
		problem="$problem record --artifacts failed: $(grep -v recording "$work/art2.err" | head -2);"
	if [ -s "$work/art2-want.json" ]; then
		out2=$(python3 "$here/artifacts.py" check2 "$work/art2/out" "$work/art2-want.json" "$work/art.scap" "$bin" 2>&1) ||
			problem="$problem --artifacts: $(echo "$out2" | head -5 | tr '\n' ';')"
	fi
	[ -s "$work/art.scap" ] || problem="$problem no events written beside --artifacts;"
	# profile diff: a second run with a binary the first did not run
	cp "$(type -P echo)" "$work/new-binary"
	"$bin" record --capture profile --capture "dir:$work/art3" --stats 2>"$work/art3.err" &
	rpid=$!
	wait_for 10 grep -q 'recording artifacts' "$work/art3.err"
	/usr/bin/true
	"$work/new-binary" hi >/dev/null
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record --capture profile)" ||
		problem="$problem record --capture profile failed: $(grep -v recording "$work/art3.err" | head -2);"
	out3=$("$bin" profile diff "$work/art2/out/profile.json" "$work/art3/out/profile.json" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 1 ] && echo "$out3" | grep -q "new.*$work/new-binary" ||
		problem="$problem profile diff: exit $rc, $work/new-binary not listed as new: $(echo "$out3" | head -3 | tr '\n' ';');"
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 ($out; $out2)"
	fi
}

# Bad artifact options are refused before anything starts, saying what is wrong:
# an unknown --capture option, a bad size, a limit without artifacts, a prefix
# that is not absolute, a directory that cannot be made.
check_record_artifacts_refused() {
	local out rc
	out=$("$bin" record --capture memory 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "capture memory" || { bad "$1" "--capture memory: exit $rc: $out"; return; }
	out=$("$bin" record --artifacts "$work/a" --artifacts-max 12Q 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "artifacts-max '12Q'" || { bad "$1" "--artifacts-max 12Q: exit $rc: $out"; return; }
	out=$("$bin" record -w "$work/x.scap" --artifacts-max 1G 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || { bad "$1" "--artifacts-max without artifacts: exit $rc: $out"; return; }
	out=$("$bin" record --capture write=tmp/x 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "absolute" || { bad "$1" "--capture write=tmp/x: exit $rc: $out"; return; }
	# an unwritable directory (a file where it should be), said before anything starts
	: >"$work/not-a-dir"
	out=$("$bin" record --artifacts "$work/not-a-dir/sub" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "cannot make or write" && ! echo "$out" | grep -q recording ||
		{ bad "$1" "--artifacts into a file: exit $rc: $out"; return; }
	[ ! -e "$work/x.scap" ] || { bad "$1" "a refused recording left $work/x.scap"; return; }
	out=$("$bin" record --capture "write=" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && echo "$out" | grep -q "prefix" || { bad "$1" "--capture write=: exit $rc: $out"; return; }
	out=$("$bin" record --artifacts "$work/a" --capture "dir:$work/b" 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] || { bad "$1" "--artifacts with dir:: exit $rc: $out"; return; }
	ok "$1"
}
