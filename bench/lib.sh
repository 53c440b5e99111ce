# Helpers the benchmark scripts share (sourced).

# CPU ticks (utime + stime, all threads) of a process.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# The nanoseconds a process's live threads have run (schedstat): finer than the 10 ms of cpu_ticks.
cpu_ns() { cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# The big generated capture BIG of NEVENTS events, made by GEN: regenerated
# when missing, older than the generator, or of another size than asked for.
bench_capture() { # GEN BIG NEVENTS
	local gen=$1 big=$2 n=$3
	if [[ ! -f $big || $gen -nt $big || "$(cat "$big.nevents" 2>/dev/null || true)" != "$n" ]]; then
		echo "bench: generating $big ($n events)"
		rm -f "$big" "$big.nevents"
		"$gen" "$big" "$n"
		echo "$n" >"$big.nevents"
	fi
}

# The median of the numbers on stdin, one a line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
