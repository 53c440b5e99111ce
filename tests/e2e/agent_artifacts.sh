# e2e checks of the flight recorder's artifacts (issue 25, items 1 and 2):
# the agent keeps the files written under artifacts.write and the binaries
# run (artifacts.exec) beside the events; a capture's bundle holds those made
# in its window, in its scope, as a tar.gz with their manifest; status and
# /metrics say how many seconds each kind holds and its drops; the memory
# bound's losses are said. Sourced by run.sh.

# The manifest's entries of kind as "path sha256" lines, sorted.
art_manifest() { # manifest.json kind
	python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
for a in m["artifacts"]:
    if a["kind"] == sys.argv[2]:
        print(a["paths"][0], a.get("sha256", ""))' "$1" "$2" | sort
}

# A capture's artifacts part, downloaded and unpacked into dir.
art_unpack() { # id dir
	mkdir -p "$2"
	"$bin" capture download "$1" --part artifacts -o "$2.tar.gz" 2>"$2.err" &&
		bundle_part_ok "$1" artifacts "$2.tar.gz" && tar -xzf "$2.tar.gz" -C "$2"
}

# With the shared pcapdump agent (pd_up: artifacts.write $work/art-w/,
# artifacts.exec): files written and a binary run before the window, inside it
# (before and after the request, by a container and by the host) and after
# it; the bundle holds exactly those inside; web-1's capture only web-1's.
check_agent_artifacts() {
	local d=$work/arts w=$work/art-w out id id2 got want st
	pd_up "$1" || return
	rm -rf "$d" "$w" && mkdir -p "$d" "$w"
	cp /bin/true "$w/early-bin" && cp /bin/true "$w/inside-bin" && printf '\n# %s' "$$" >>"$w/inside-bin"
	echo early >"$w/early.txt"
	"$w/early-bin"
	sleep 3.5 # outside the 2 s before the request
	in_container "${pd_ids[0]}" sh -c "echo web >$w/web.txt"
	echo host >"$w/host.txt"
	"$w/inside-bin"
	sleep 0.5
	out=$("$bin" capture take --name arts --before 2 --after 2 --no-wait --json 2>"$d/err") || { bad "$1" "take: $(cat "$d/err")"; return; }
	id=$(json_get 'j["id"]' <<<"$out")
	sleep 0.5
	echo after-request >"$w/after-request.txt" # inside: the window goes on 2 s
	wait_for 20 capture_status_is "$id" ok || { bad "$1" "capture $id: $(api GET "/api/captures/$id" | head -n -1)"; return; }
	echo late >"$w/late.txt" # after the window
	art_unpack "$id" "$d/a" || { bad "$1" "the artifacts part: $(cat "$d/a.err")"; return; }
	got=$(art_manifest "$d/a/artifacts/manifest.json" write | cut -d' ' -f1 | tr '\n' ' ')
	want="$w/after-request.txt $w/host.txt $w/web.txt "
	[ "$got" = "$want" ] || { bad "$1" "written files in the bundle: '$got', want '$want'"; return; }
	for f in after-request host web; do
		cmp -s "$w/$f.txt" "$d/a/artifacts/$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
print(next(a["file"] for a in m["artifacts"] if a["paths"][0] == sys.argv[2]))' "$d/a/artifacts/manifest.json" "$w/$f.txt")" ||
			{ bad "$1" "$f.txt's artifact differs from the file"; return; }
	done
	got=$(art_manifest "$d/a/artifacts/manifest.json" exec | grep -F "$w/" | tr '\n' ' ')
	want="$w/inside-bin $(sha256sum <"$w/inside-bin" | cut -d' ' -f1) "
	[ "$got" = "$want" ] || { bad "$1" "binaries of $w in the bundle: '$got', want '$want'"; return; }
	# the runtime profile of the window: inside-bin, run once by this shell, by its content
	got=$(python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))
print(" ".join("%s %s %d %s" % (x["path"], x["sha256"], x["count"], ",".join(x["parents"]))
               for x in p["programs"] if x["path"] == sys.argv[2]))' "$d/a/artifacts/profile.json" "$w/inside-bin" 2>&1)
	want="$w/inside-bin $(sha256sum <"$w/inside-bin" | cut -d' ' -f1) 1 $(cat /proc/$$/comm)"
	[ "$got" = "$want" ] || { bad "$1" "the profile says '$got', want '$want'"; return; }
	# each artifact names its event in the capture's .scap: sysdig shows that event as the call that made it
	"$bin" capture download "$id" -o "$d/a.scap" 2>"$d/err" || { bad "$1" "download the .scap: $(cat "$d/err")"; return; }
	for f in "$w/host.txt write" "$w/inside-bin execve"; do
		local n
		n=$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
print(next(a["events"]["events.scap"][0] for a in m["artifacts"] if a["paths"][0] == sys.argv[2]))' "$d/a/artifacts/manifest.json" "${f% *}" 2>/dev/null)
		got=$(sysdig -r "$d/a.scap" -p '*%evt.type %fd.name %proc.name' "evt.num=${n:-0}" 2>/dev/null)
		case ${f#* } in
		write) [ "${got% *}" = "write ${f% *}" ] ;;
		execve) [ "${got%% *}" = execve ] && [ "${got##* }" = inside-bin ] ;;
		esac || { bad "$1" "${f% *}'s event (evt.num ${n:-none}) is, by sysdig: '$got'"; return; }
	done
	# web-1's capture: web-1's file only
	out=$("$bin" capture take --name arts-web --container web-1 --before 8 --after 0.5 --json 2>"$d/err") || { bad "$1" "take web-1: $(cat "$d/err")"; return; }
	id2=$(json_get 'j["id"]' <<<"$out")
	art_unpack "$id2" "$d/b" || { bad "$1" "web-1's artifacts part: $(cat "$d/b.err")"; return; }
	# (its file, and the sh that wrote it, run in web-1)
	got=$(python3 -c 'import json,os,sys
m = json.load(open(sys.argv[1]))
print(sorted({a["kind"] + ":" + (os.path.basename(a["paths"][0]) if a["kind"] == "exec" else a["paths"][0]) for a in m["artifacts"]}))' "$d/b/artifacts/manifest.json")
	[ "$got" = "['exec:sh', 'write:$w/web.txt']" ] || { bad "$1" "web-1's capture holds the artifacts: $got"; return; }
	# --all: the artifacts' archive is one of the parts, as the catalog says
	"$bin" capture download "$id" --all -o "$d/all.tar.gz" 2>"$d/err" && mkdir -p "$d/x" && tar -xzf "$d/all.tar.gz" -C "$d/x" ||
		{ bad "$1" "--all: $(cat "$d/err")"; return; }
	bundle_part_ok "$id" artifacts "$d/x/$id/artifacts.tar.gz" || { bad "$1" "--all's artifacts.tar.gz does not match the catalog"; return; }
	# status and /metrics: seconds held and drops, per kind
	st=$(api GET /api/status | head -n -1)
	got=$(json_get 'sorted(j["artifacts"]["kinds"]), all(k["seconds"] > 0 for k in j["artifacts"]["kinds"].values()), j["artifacts"]["kinds"]["write"]["dropped"]' <<<"$st")
	[ "$got" = "['exec', 'write'] True 0" ] || { bad "$1" "status: $got ($(json_get 'j["artifacts"]' <<<"$st"))"; return; }
	grep -q '^sysrec_artifacts_seconds{kind="write"} [0-9]' <(api GET /metrics) || { bad "$1" "/metrics has no sysrec_artifacts_seconds"; return; }
	# bad requests: a kind not known, a kind not kept
	out=$(api POST /api/captures '{"name": "x", "artifacts": ["bogus"]}')
	[ "$(tail -1 <<<"$out")" = 400 ] && grep -q '"field": "artifacts"' <<<"$out" || { bad "$1" "artifacts [bogus]: $out"; return; }
	out=$(api POST /api/captures '{"name": "x", "artifacts": ["mem"]}')
	[ "$(tail -1 <<<"$out")" = 400 ] && grep -q 'keeps no mem artifacts' <<<"$out" || { bad "$1" "artifacts [mem]: $out"; return; }
	"$bin" capture take --name x --artifacts bogus >/dev/null 2>&1 && { bad "$1" "take --artifacts bogus was taken"; return; }
	[ $? = 2 ] || { bad "$1" "take --artifacts bogus: not a usage error"; return; }
	out=$(api GET "/api/captures/$id/download?part=artifacts" "" -o "$d/raw.tgz" -D "$d/hdr")
	[ "$(tail -1 <<<"$out")" = 200 ] && grep -qi 'filename="arts.artifacts.tar.gz"' "$d/hdr" || { bad "$1" "download headers: $(cat "$d/hdr")"; return; }
	ok "$1 (files and a binary made inside the window in the bundle, those before and after not; each naming its event in the .scap, as sysdig shows it; the profile; web-1's capture only its file and the sh it ran; --all = catalog; status per kind; bad kinds refused)"
}

capture_status_is() { # id status
	[ "$(api GET "/api/captures/$1" | head -n -1 | json_get 'j["status"]' 2>/dev/null)" = "$2" ]
}

# A small artifacts.max_memory: records let go before the history's end are
# counted per kind, and a capture whose window lost some says so.
check_agent_artifacts_memory() {
	local w=$work/art-m d=$work/arts-m out id st
	agent_can_run "$1" || return
	mkdir -p "$d"
	agent_stop
	pd_fake=
	out=$(timeout 10 "$bin" agent --data "$work/am-bad" --listen 127.0.0.1:0 --artifacts-write tmp 2>&1) && { bad "$1" "artifacts.write tmp was taken"; return; }
	grep -qF "artifacts.write: 'tmp' is not a path prefix" <<<"$out" || { bad "$1" "artifacts.write tmp: $out"; return; }
	out=$(timeout 10 "$bin" agent --data "$work/am-bad" --listen 127.0.0.1:0 --artifacts-exec true --artifacts-max-memory 200MiB 2>&1) && { bad "$1" "200MiB of 256 was taken"; return; }
	grep -qF "artifacts.max_memory (200 MiB) is more than half of recorder.max_memory" <<<"$out" || { bad "$1" "200MiB: $out"; return; }
	rm -rf "$w" && mkdir -p "$w"
	agent_start --artifacts-write "$w/" --artifacts-max-memory 1MiB ||
		{ bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; return; }
	python3 -c 'import os,sys
for i in range(4):
    with open(os.path.join(sys.argv[1], "f%d" % i), "wb") as f:
        f.write(os.urandom(512 * 1024))' "$w"
	sleep 1
	st=$(api GET /api/status | head -n -1)
	out=$(json_get 'j["artifacts"]["kinds"]["write"]["dropped"] > 0, j["artifacts"]["bytes"] <= j["artifacts"]["max_bytes"], j["artifacts"]["max_bytes"]' <<<"$st")
	[ "$out" = "True True 1048576" ] || { bad "$1" "status: $out ($(json_get 'j["artifacts"]' <<<"$st"))"; return; }
	out=$("$bin" capture take --name arts-lost --before 5 --after 0.5 --json 2>"$d/err") || { bad "$1" "take: $(cat "$d/err")"; return; }
	id=$(json_get 'j["id"]' <<<"$out")
	grep -q 'let go for memory (artifacts.max_memory) of kinds write' <(api GET "/api/captures/$id") ||
		{ bad "$1" "the capture does not say its artifacts were let go: $(api GET "/api/captures/$id" | head -n -1 | json_get 'j["incomplete_reason"]')"; return; }
	agent_stop
	ok "$1 (2 MiB written into a 1 MiB bound: drops counted for write, the capture says so; bad settings refused naming the key)"
}
