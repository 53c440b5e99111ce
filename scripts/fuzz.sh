#!/usr/bin/env bash
# fuzz.sh FUZZ_BIN [SECONDS]: run a fuzzer for SECONDS (default 60) and print a
# short summary: the .scap reader (build/fuzz/fuzz_reader, tests/fuzz/fuzz_reader.c)
# the agent's YAML configuration (build/fuzz/fuzz_config, build/fuzz/config-*),
# the HTTP API's request checks (build/fuzz/fuzz_http, build/fuzz/http-*),
# the rules loader (build/fuzz/fuzz_rules, build/fuzz/rules-*, seeded from the
# rules files of Falco's tests and its default ruleset),
# the pcapng reader (build/fuzz/fuzz_pcap, build/fuzz/pcap-*, seeded from the
# files build/e2e/gen-pcapng writes with sysrec's writer and a big-endian section),
# the runtime profile's diff (build/fuzz/fuzz_profile, build/fuzz/profile-*),
# or the filter parser (build/fuzz/fuzz_filter, tests/fuzz/fuzz_filter.c; its
# corpus, log and crash inputs are build/fuzz/filter-*, seeded from the
# one-line conditions of the Falco rules in the testdata, the filters of
# tests/e2e/filters.txt and a few more).
#
# The corpus lives in build/fuzz/corpus; when it is empty it is seeded from the
# real captures in ${SYSREC_TESTDATA:-../shared/testdata}/scap (copied, and also
# decompressed, into build/ - never into the repository) and from a demo capture
# (build/sysrec demo). libFuzzer's log goes to build/fuzz/fuzz.log; crash inputs
# are kept as build/fuzz/crash-*, leak-*, timeout-*, oom-*.
# FUZZ_DIR puts all of it in another directory (make test: build/fuzz/test);
# FUZZ_SEED fixes libFuzzer's random seed (-seed) for a repeatable run.
# Exits 0 on a clean run, 1 when the fuzzer found a problem, 2 on usage errors.
set -uo pipefail

bin=${1:-}
secs=${2:-60}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "usage: scripts/fuzz.sh FUZZ_BIN [SECONDS]   (build it with: make build/fuzz/fuzz_reader)" >&2
	exit 2
fi
case $secs in
'' | *[!0-9]*)
	echo "fuzz.sh: SECONDS must be a whole number, got '$secs'" >&2
	exit 2
	;;
esac

dir=${FUZZ_DIR:-build/fuzz}
name=$(basename "$bin")
pre=
[ "$name" = fuzz_filter ] && pre=filter-
[ "$name" = fuzz_config ] && pre=config-
[ "$name" = fuzz_http ] && pre=http-
[ "$name" = fuzz_rules ] && pre=rules-
[ "$name" = fuzz_pcap ] && pre=pcap-
[ "$name" = fuzz_profile ] && pre=profile-
[ "$name" = fuzz_runtime ] && pre=runtime-
corpus=$dir/${pre}corpus
seeds=$dir/${pre}seeds
log=$dir/${pre}fuzz.log
tmp=$dir/${pre}tmp # its own: fuzzers may run side by side (run-tests.sh)
artifacts="^${pre}(crash|leak|timeout|oom|slow-unit)-"
mkdir -p "$corpus" "$seeds" "$tmp"

# The filter parser's seeds and dictionary.
seed_filters() {
	local rules=${SYSREC_TESTDATA:-../shared/testdata}/falco-0.31.1/rules i=0
	if [ -d "$rules" ]; then
		# one-line conditions and macro bodies of Falco's own rules
		grep -h '^ *condition: ' "$rules"/*.yaml 2>/dev/null | sed 's/^ *condition: *//; s/^>//' |
			grep -v '^ *$' | head -n 400 | while IFS= read -r line; do
			printf '%s' "$line" >"$seeds/falco-$i.txt"
			i=$((i + 1))
		done
	fi
	# the differential table's filters: they compile, so they reach the evaluator
	grep -v '^ *\(#\|$\)' tests/e2e/filters.txt | while IFS= read -r line; do
		printf '%s' "$line" >"$seeds/table-$i.txt"
		i=$((i + 1))
	done
	printf '%s' 'evt.type in (open, openat) and not fd.name startswith "/tmp" or proc.aname[2] = bash' >"$seeds/f1.txt"
	printf '%s' "fd.name glob '/etc/*' and evt.arg[0] exists and not (fd.num >= 3 or proc.pid != 1)" >"$seeds/f2.txt"
	printf '%s' 'fd.sip intersects (10.0.0.0/8, "a\"b") and fd.name pmatch my_list' >"$seeds/f3.txt"
	cat >"$dir/filter.dict" <<'DICT'
"and"
"or"
"not"
"("
")"
"exists"
"contains"
"icontains"
"bcontains"
"startswith"
"bstartswith"
"endswith"
"glob"
"in"
"intersects"
"pmatch"
"=="
"!="
"<="
">="
"evt.arg["
"]"
"'"
"\""
"\\"
","
DICT
}

# Cut a raw capture into small seeds: the section header plus one window of
# events, or plus one metadata block and a few events. Whole captures run at a
# few hundred execs/s; these run at thousands and still reach every parser.
split_capture() {
	local f=$1 out=$2 base=$3
	local -a w ev meta
	local size off=0 shb=0 bt bl i k nwin stride s e m mo ml
	size=$(stat -c %s "$f")
	mapfile -t w < <(od -An -v -tu4 -w4 "$f")
	while ((off + 8 <= size)); do
		i=$((off / 4))
		bt=${w[i]// /}
		bl=${w[i + 1]// /}
		((bl >= 12 && bl % 4 == 0 && off + bl <= size)) || break
		case $bt in
		168627466) # section header: only the first one
			((off == 0)) || break
			shb=$bl
			;;
		516 | 520 | 534 | 535 | 545 | 546 | 2148576205) ev+=("$off") ;;
		*) meta+=("$off:$bl") ;;
		esac
		off=$((off + bl))
	done
	((shb)) || return 0
	ev+=("$off")
	nwin=$(((${#ev[@]} - 1 + 23) / 24))
	stride=$(((nwin + 29) / 30)) # at most 30 windows of 24 events per capture
	for ((k = 0; k < nwin; k += stride)); do
		s=${ev[k * 24]}
		e=${ev[$((k * 24 + 24 < ${#ev[@]} - 1 ? k * 24 + 24 : ${#ev[@]} - 1))]}
		{ head -c "$shb" "$f"; tail -c +$((s + 1)) "$f" | head -c $((e - s)); } >"$out/$base.ev$k.scap"
	done
	e=${ev[$((8 < ${#ev[@]} - 1 ? 8 : ${#ev[@]} - 1))]}
	stride=$(((${#meta[@]} + 19) / 20)) # and at most 20 metadata blocks
	for ((k = 0; k < ${#meta[@]}; k += stride)); do
		m=${meta[k]}
		mo=${m%:*}
		ml=${m#*:}
		((ml <= 32768)) || continue
		{
			head -c "$shb" "$f"
			tail -c +$((mo + 1)) "$f" | head -c "$ml"
			tail -c +$((ev[0] + 1)) "$f" | head -c $((e - ev[0]))
		} >"$out/$base.meta$mo.scap"
	done
}

# The agent configuration's seeds: the sample file, and a few odd shapes.
seed_config() {
	cp etc/sysrec.yaml "$seeds/sample.yaml"
	printf 'recorder: {max_memory: 1GiB, seconds: 2m}\ncaptures: {enabled: no}\n' >"$seeds/flow.yaml"
	printf 'rules_files:\n  - /a.yaml\n  - &x /b.yaml\n  - *x\n---\ndata: /x\n' >"$seeds/odd.yaml"
	printf 'recorder.max_memory=64MiB\n' >"$seeds/set.txt"
}

# The HTTP request checks' seeds: a first byte picks the part (fuzz_http.c).
seed_http() {
	printf '\0{"name": "x", "before": 3, "after": 2, "filter": "proc.name=curl", "filter_proclist": true}' >"$seeds/take.bin"
	printf '\0{"name": "y", "duration": 300, "container": "0123456789abcdef", "storage": "local"}' >"$seeds/take2.bin"
	printf '\0{"ids": ["20261124T101500Z-3f2a9c01", "b"]}' >"$seeds/ids.bin"
	printf '\1\0\4\0\0\0\0\0\0bytes=100-199' >"$seeds/range.bin"
	printf '\1\0\4\0\0\0\0\0\0bytes=-500' >"$seeds/range2.bin"
	printf '\2search=web&status=expiring&sort=size&order=asc&limit=10&offset=20' >"$seeds/query.bin"
	printf '\3/api/captures/20261124T101500Z-3f2a9c01/download' >"$seeds/route.bin"
}

# The rules loader's seeds: Falco's test rules files (each one a seed) and its default ruleset.
seed_rules() {
	local td=${SYSREC_TESTDATA:-../shared/testdata}/falco-0.31.1 f i=0
	for f in "$td"/tests/rules/*.yaml "$td"/tests/rules/exceptions/*.yaml "$td"/rules/falco_rules.yaml; do
		[ -f "$f" ] || continue
		cp "$f" "$seeds/r$i.yaml"
		i=$((i + 1))
	done
	printf -- '- rule: base rule\n  append: true\n  condition: and proc.pid > 1\n' >"$seeds/append.yaml"
	printf -- '- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  capture: {enabled: true, before: 3s}\n' >"$seeds/capture.yaml"
}

# The pcapng reader's seeds: the files of tests/e2e/gen-pcapng.c (sysrec's
# writer: little-endian, every option it writes) and, by hand, a big-endian
# section (header, interface, one packet).
seed_pcap() {
	local gen=build/e2e/gen-pcapng
	if [ -x "$gen" ] && "$gen" "$seeds"; then
		echo "fuzz.sh: seeds from $gen"
	else
		echo "fuzz.sh: $gen not built (make build/e2e/gen-pcapng); seeding from the big-endian section alone"
	fi
	printf '%b' '\x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4d\x00\x01\x00\x00' \
		'\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x1c' \
		'\x00\x00\x00\x01\x00\x00\x00\x14\x00\x65\x00\x00\x00\x00\x00\x00\x00\x00\x00\x14' \
		'\x00\x00\x00\x06\x00\x00\x00\x24\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01' \
		'\x00\x00\x00\x04\x00\x00\x00\x04abcd\x00\x00\x00\x24' >"$seeds/big-endian.pcapng"
}

# Its dictionary: block types, byte-order magic and option codes in both
# orders, sysrec's enterprise number and owner keys.
pcap_dict() {
	cat <<'EOF'
shb="\x0a\x0d\x0d\x0a"
magic_le="\x4d\x3c\x2b\x1a"
magic_be="\x1a\x2b\x3c\x4d"
idb_le="\x01\x00\x00\x00"
idb_be="\x00\x00\x00\x01"
pb_le="\x02\x00\x00\x00"
spb_le="\x03\x00\x00\x00"
isb_le="\x05\x00\x00\x00"
epb_le="\x06\x00\x00\x00"
epb_be="\x00\x00\x00\x06"
tsresol_le="\x09\x00\x01\x00"
tsoffset_le="\x0e\x00\x08\x00"
flags_le="\x02\x00\x04\x00"
dropcount_le="\x04\x00\x08\x00"
custom_le="\xac\x0b"
custom_be="\x0b\xac"
pen_le="\xd9\x7e\x00\x00"
pen_be="\x00\x00\x7e\xd9"
pid="pid="
tid=";tid="
comm=";comm="
container=";container="
fd=";fd="
escape="%3B"
EOF
}

# The runtime profiles' seeds: good ones, and the shapes profile diff refuses.
seed_profile() {
	printf '{"version":1,"programs":[{"path":"/bin/ls","sha256":"aa","count":2,"parents":["bash"],"users":[0],"containers":[""]},{"path":"/bin/cat","sha256":"bb"}]}' >"$seeds/good.json"
	printf '{"version":1,"programs":[{"path":"/bin/ls","sha256":"aa"},{"path":"/bin/ls","sha256":"cc"}]}' >"$seeds/two.json"
	printf '{"programs":[{"path":3}]}' >"$seeds/bad-path.json"
	printf '{"programs":{}}' >"$seeds/not-list.json"
	printf '[1,2' >"$seeds/broken.json"
}

# The Docker API answers' seeds: a container's inspection (then a NUL and its
# image's), and odd shapes.
seed_runtime() {
	local id=3f2a9c1b7e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a
	printf '{"Id":"%s","Created":"2026-12-05T10:20:30Z","Name":"/web","Image":"sha256:%s","Config":{"Image":"reg:5000/ns/img:1.2","Labels":{"io.kubernetes.pod.name":"p","x":1},"Healthcheck":{"Test":["CMD","/bin/true","-x"]}},"HostConfig":{"Privileged":true,"NanoCpus":1500000000,"CpusetCpus":"0-1,3"},"NetworkSettings":{"IPAddress":"172.17.0.2","Ports":{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]},"Networks":{"n":{"IPAddress":"10.0.0.2"}}},"Mounts":[{"Source":"/a","Destination":"/b","Mode":"ro","RW":false,"Propagation":"rprivate"}]}\0{"RepoTags":["img:1.2"],"RepoDigests":["reg:5000/ns/img@sha256:ab","other@sha256:cd"]}' "$id" "$id" >"$seeds/full.bin"
	printf '{"Id":"%s","Config":{"Image":"busybox"}}' "$id" >"$seeds/small.json"
	printf '{"Id":"%s","NetworkSettings":{"Ports":{"99999/tcp":[{}]},"IPAddress":"x"},"Mounts":{}}' "$id" >"$seeds/odd.json"
	seed_containerd "$id"
}

# containerd's answers (fuzz_runtime.c: a NUL first, as a gRPC frame starts):
# its Containers/List body (one container, spec and labels), then its
# Images/Get body; the list alone; a privileged spec; an empty list. The
# protobuf is written out here field by field (containerd.proto's numbers).
seed_containerd() { # id
	python3 - "$seeds" "$1" <<'PY'
import json, struct, sys
seeds, cid = sys.argv[1], sys.argv[2].encode()
def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out
def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload
def number(num, v):
    return varint(num << 3) + varint(v)
def frame(msg):
    return b"\0" + struct.pack(">I", len(msg)) + msg
def container(spec):
    labels = b"".join(field(2, field(1, k) + field(2, v)) for k, v in
                      [(b"io.kubernetes.pod.name", b"pod-c"), (b"io.kubernetes.container.name", b"web"),
                       (b"io.cri-containerd.kind", b"container")])
    any_spec = field(1, b"types.containerd.io/opencontainers/runtime-spec/1/Spec") + field(2, json.dumps(spec).encode())
    return field(1, cid) + labels + field(3, b"docker.io/sysrec-e2e/bb:1") + field(5, any_spec) + field(8, number(1, 1796466030))
spec = {"process": {"capabilities": {"effective": ["CAP_CHOWN"]}},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro", "rprivate"]}],
        "linux": {"resources": {"memory": {"limit": 1 << 28}, "cpu": {"shares": 512, "cpus": "0-1,3"}},
                  "maskedPaths": ["/proc/kcore"]}}
privileged = {"process": {"capabilities": {"effective": ["CAP_SYS_ADMIN"]}}, "linux": {}}
digest = b"sha256:" + b"2e" * 32
image = field(1, field(1, b"docker.io/sysrec-e2e/bb:1") +
              field(3, field(1, b"application/vnd.docker.distribution.manifest.v2+json") + field(2, digest) + number(3, 422)))
seed = lambda name, data: open(f"{seeds}/{name}", "wb").write(data)
seed("ctd-full.bin", frame(field(1, container(spec))) + frame(image))
seed("ctd-list.bin", frame(field(1, container(spec))))
seed("ctd-privileged.bin", frame(field(1, container(privileged))))
seed("ctd-empty.bin", frame(b""))
PY
}

# ---- seeds (only for an empty corpus) ----
if [ "$pre" = runtime- ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_runtime && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) answers"; }
elif [ "$pre" = profile- ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_profile && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) profiles"; }
elif [ "$pre" = pcap- ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_pcap && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) pcapng files"; }
elif [ "$pre" = rules- ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_rules && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) rules files"; }
elif [ "$pre" = http- ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_http && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) requests"; }
elif [ "$pre" = config- ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_config && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) configurations"; }
elif [ -n "$pre" ]; then
	[ -n "$(ls -A "$corpus")" ] || { seed_filters && cp "$seeds"/* "$corpus"/ && echo "fuzz.sh: seeded from $(ls "$seeds" | wc -l) filters"; }
	[ -f "$dir/filter.dict" ] || seed_filters
elif [ -z "$(ls -A "$corpus")" ]; then
	testdata=${SYSREC_TESTDATA:-../shared/testdata}
	n=0
	if [ -d "$testdata/scap" ]; then
		for f in "$testdata"/scap/*.scap; do
			[ -f "$f" ] || continue
			base=$(basename "$f" .scap)
			cp "$f" "$seeds/$base.scap"
			# mutating gzip bytes mostly breaks the checksum: keep a raw copy too
			if gzip -t "$f" 2>/dev/null; then
				gzip -dc "$f" >"$seeds/$base.raw.scap"
				split_capture "$seeds/$base.raw.scap" "$seeds" "$base"
			else
				split_capture "$f" "$seeds" "$base"
			fi
			n=$((n + 1))
		done
		echo "fuzz.sh: seeded from $n captures in $testdata/scap"
	else
		echo "fuzz.sh: $testdata/scap not found (set SYSREC_TESTDATA); not seeding from real captures"
	fi
	if [ -x build/sysrec ]; then
		if build/sysrec demo -w "$seeds/demo.scap" >/dev/null 2>&1; then
			echo "fuzz.sh: seeded from a demo capture (build/sysrec demo)"
		else
			echo "fuzz.sh: build/sysrec demo failed; no demo seed"
		fi
	else
		echo "fuzz.sh: build/sysrec not built; no demo seed (make all adds one)"
	fi
	cp "$seeds"/* "$corpus"/ 2>/dev/null || true
	if [ -z "$(ls -A "$corpus")" ]; then
		# libFuzzer can start from nothing, just slowly: give it a bare section header
		printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x02\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00' \
			>"$corpus/shb.scap"
		echo "fuzz.sh: no seeds available; starting from a bare section header"
	fi
fi

# ---- dictionary: block types and magic numbers (little-endian) ----
dict=$dir/scap.dict
[ "$pre" = filter- ] && dict=$dir/filter.dict
[ "$pre" = config- ] && dict= # YAML needs none
[ "$pre" = http- ] && dict=
[ "$pre" = rules- ] && dict=
[ "$pre" = runtime- ] && dict= # JSON: the seeds carry its words
[ "$pre" = profile- ] && dict=
[ "$pre" = pcap- ] && { dict=$dir/pcap.dict; pcap_dict >"$dict"; }
[ -n "$pre" ] || cat >"$dict" <<'EOF'
shb="\x0a\x0d\x0d\x0a"
shb_magic="\x4d\x3c\x2b\x1a"
mi="\x01\x02\x00\x00"
pl_v9="\x15\x02\x00\x00"
pl_v1="\x02\x02\x00\x00"
fdl="\x03\x02\x00\x00"
fdl_v2="\x18\x02\x00\x00"
il="\x05\x02\x00\x00"
il_v2="\x19\x02\x00\x00"
ul="\x06\x02\x00\x00"
ul_v2="\x20\x02\x00\x00"
ev="\x04\x02\x00\x00"
evf="\x08\x02\x00\x00"
ev_v2="\x16\x02\x00\x00"
evf_v2="\x17\x02\x00\x00"
ev_v2_large="\x21\x02\x00\x00"
evf_v2_large="\x22\x02\x00\x00"
gzip="\x1f\x8b"
at_fdcwd="\x9c\xff\xff\xff\xff\xff\xff\xff"
EOF

# ---- run ----
before=$(ls "$dir" | grep -cE "$artifacts" || true)
echo "fuzz.sh: fuzzing $bin for ${secs}s (corpus $corpus, $(ls "$corpus" | wc -l) inputs; log $log)"
start=$(date +%s)
# UBSan reports are fatal (halt_on_error) so libFuzzer keeps the input.
TMPDIR=$tmp \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1} \
	"$bin" "$corpus" \
	-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 ${dict:+-dict="$dict"} \
	${FUZZ_SEED:+-seed="$FUZZ_SEED"} -artifact_prefix="$dir/$pre" -print_final_stats=1 >"$log" 2>&1
status=$?
end=$(date +%s)
rm -rf "$tmp"/sysrec-fuzz-* # the target's scratch dirs (libFuzzer may _exit past cleanup)
after=$(ls "$dir" | grep -cE "$artifacts" || true)

# ---- summary ----
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
echo "fuzz.sh: ran $((end - start))s: ${runs:-?} runs (${speed:-?} exec/s), coverage ${cov:-?} edges," \
	"${ft:-?} features, corpus ${corp:-?}; new crash/leak/timeout inputs: $((after - before))"
if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
	echo "fuzz.sh: FAILED (exit $status): the fuzzer found a problem; report:" >&2
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written|fuzz_reader:|fuzz_filter:|fuzz_pcap:)' "$log" |
		head -n 20 >&2
	ls -t "$dir" | grep -E "$artifacts" | head -n 5 |
		sed "s|^|fuzz.sh: reproduce with: $bin $dir/|" >&2
	echo "fuzz.sh: full log: $log" >&2
	exit 1
fi
echo "fuzz.sh: no crash, leak or hang"
