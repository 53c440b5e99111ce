#!/usr/bin/env bash
# run-tests.sh: run the test suites and print one closing line "N passed, N failed, N skipped".
#   run-tests.sh all          the checks (layering, format, lint, fuzz), unit + e2e + browser,
#                             then unit + e2e on the ASan/UBSan build
#   run-tests.sh checks       layering, format (make fmt-check), lint (scripts/lint.sh), fuzz
#   run-tests.sh unit BUILD   the cmocka unit tests of BUILD
#   run-tests.sh e2e BUILD    the end-to-end cases against BUILD/sysrec
#   run-tests.sh browser BUILD  the web UI in chromium against BUILD/sysrec agent (tests/browser)
set -uo pipefail
cd "$(dirname "$0")/.."

pass=0 fail=0 skip=0
t_mark=$SECONDS # each count line says how long its runner took (the suite's budget: well under 30 min)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

count() { # label output-file rc; parse a runner's summary into the totals
	local p f s
	p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$2" | awk '{s+=$4} END{print s+0}')
	f=$(grep -Eo '\[  FAILED  \] [0-9]+' "$2" | awk '{s+=$4} END{print s+0}')
	s=$(grep -Eo '\[  SKIPPED \] [0-9]+' "$2" | awk '{s+=$4} END{print s+0}')
	if grep -Eq '^(e2e|browser): ' "$2"; then
		read -r p f s < <(sed -En 's/^(e2e|browser): ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\2 \3 \4/p' "$2" | tail -1)
	fi
	# a runner that died without a summary counts as one failure
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '%-28s %4d passed, %d failed, %d skipped  (%d s)\n' "$1" "$p" "$f" "$s" $((SECONDS - t_mark))
	t_mark=$SECONDS
	if [ "$f" -ne 0 ]; then grep -E 'FAIL|ERROR|Error|error:|warning:|runtime error|Sanitizer|reproduce with' "$2" | head -20 | sed 's/^/    /'; fi
	if [ "$3" -eq 124 ] || [ "$3" -eq 137 ]; then
		echo "    the suite ran out of time; its last lines:"
		tail -5 "$2" | sed 's/^/    /'
	fi
}

run_unit() { # build
	local t out
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		out=$(mktemp)
		"$t" >"$out" 2>&1
		count "unit $(basename "$t")${2:+ ($2)}" "$out" $?
		rm -f "$out"
	done
}

run_e2e() { # build
	local out
	out=$(mktemp)
	# each case has its own deadline (tests/e2e/run.sh); this one is the suite's
	timeout -k 30 "${E2E_SUITE_TIMEOUT:-1800}" tests/e2e/run.sh "$1" >"$out" 2>&1
	count "e2e${2:+ ($2)}" "$out" $?
	[ -n "${VERBOSE:-}" ] && cat "$out"
	rm -f "$out"
}

run_browser() { # build; the plain build only (chromium under ASan's agent is slow and adds nothing)
	local out
	out=$(mktemp)
	timeout -k 30 "${BROWSER_SUITE_TIMEOUT:-900}" tests/browser/run.sh "$1" >"$out" 2>&1
	count "browser" "$out" $?
	# a skipped suite says why
	grep '^  skip  ' "$out" | sed 's/^  /    /'
	[ -n "${VERBOSE:-}" ] && cat "$out"
	rm -f "$out"
}

run_check() { # label command...; one pass or one failure
	local out label=$1
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then echo '[  PASSED  ] 1' >>"$out"; else echo '[  FAILED  ] 1' >>"$out"; fi
	count "$label" "$out" 0
	[ -n "${VERBOSE:-}" ] && cat "$out"
	rm -f "$out"
}

# Each fuzz target for FUZZ_SECONDS (20) from its seeds alone, with a fixed
# libFuzzer seed: the same inputs each run (build/fuzz/test; `make fuzz*` keeps
# its growing corpus in build/fuzz). A crash, leak or hang is a failure. Two run
# side by side (each has its own corpus and log), one per CPU of the machine.
fuzz_one() { # name output-file
	if env FUZZ_DIR=build/fuzz/test FUZZ_SEED=1 scripts/fuzz.sh "build/fuzz/fuzz_$1" "${FUZZ_SECONDS:-20}" >"$2" 2>&1; then
		echo '[  PASSED  ] 1' >>"$2"
	else
		echo '[  FAILED  ] 1' >>"$2"
	fi
}

run_fuzz() {
	local names=(reader filter config http rules pcap profile runtime) i a b pid
	rm -rf build/fuzz/test/*corpus build/fuzz/test/*seeds
	for ((i = 0; i < ${#names[@]}; i += 2)); do
		a=$(mktemp) b=$(mktemp)
		fuzz_one "${names[i]}" "$a" &
		pid=$!
		fuzz_one "${names[i + 1]}" "$b"
		wait "$pid"
		count "fuzz ${names[i]}" "$a" 0
		count "fuzz ${names[i + 1]}" "$b" 0
		[ -n "${VERBOSE:-}" ] && cat "$a" "$b"
		rm -f "$a" "$b"
	done
}

# make lint is these three: the layering and format checks, then clang-tidy and
# cppcheck; each runs once here.
run_checks() {
	run_check layering scripts/check-layering.sh
	run_check format make --no-print-directory fmt-check
	run_check lint scripts/lint.sh
	run_fuzz
}

case ${1:-all} in
unit) run_unit "${2:-build}" ;;
e2e) run_e2e "${2:-build}" ;;
browser) run_browser "${2:-build}" ;;
checks) run_checks ;;
all)
	run_checks
	run_unit build
	run_e2e build
	run_browser build
	run_unit build/san "asan+ubsan"
	# The checks against real container daemons run in the plain build: sanitized, the code
	# they drive (the runtimes' clients) is in the unit tests and the fuzzers, and the
	# daemons' start-up would only lengthen the suite.
	E2E_SAN=1 E2E_SKIP='^(record_docker|record_docker_by_name|record_docker_stopped|record_containerd|record_podman|agent_docker|agent_pcapdump_bounds)$' \
		E2E_SKIP_WHY="run in the plain build only: real container daemons (their clients are sanitized in unit tests and fuzzers), pcapdump's minute of steady traffic (its code is sanitized in the other agent_pcapdump checks)" \
		run_e2e build/san "asan+ubsan"
	;;
*) echo "usage: $0 all | checks | unit BUILD | e2e BUILD | browser BUILD" >&2; exit 2 ;;
esac

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
