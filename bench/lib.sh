# Helpers the benchmark scripts share (sourced).

# CPU ticks (utime + stime, all threads) of a process.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
