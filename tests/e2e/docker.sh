# Sourced by run.sh: containers of a real Docker daemon (issue 24), started by
# the suite from Debian's docker.io (runtimes.sh), running an image made from
# busybox-static. Containers labelled io.kubernetes.pod.name and
# io.kubernetes.pod.namespace stand for pods. busybox's sh runs its applets
# through /proc/self/exe, so the checks select events by file, not proc.name.

# A container's workload: N opens of /etc/hostname, 0.2 s apart, after 0.5 s:
# Docker answers about a container only once it has started, and the
# recorder writes that answer as it comes; opens before it show the id only
# (as in sysdig), which these checks do not count.
dk_opens() { # n
	echo "sleep 0.5; i=0; while [ \$i -lt $1 ]; do cat /etc/hostname >/dev/null; sleep 0.2; i=\$((i+1)); done"
}

# `sysrec record -w` while Docker runs three containers: one started before
# the recording (its description is at the head of the file), two during it
# on a network of their own. sysdig -r and sysrec read both show, for each
# container's opens, its id, name, image (repository, tag), type and the pod
# and namespace of its labels; the container events carry the runtime's
# labels and IP. A rules file with a rule on container.name and one on
# k8s.ns.name fires on the right container only; Falco's default rule
# "Launch Sensitive Mount Container" fires on the one with /etc mounted only.
# (A privileged container cannot start here: root lacks CAP_SYS_RESOURCE,
# which --privileged asks for; the stand-in's check covers privileged.)
check_record_docker() {
	local problem="" rpid fmt want got reader c id
	can_record "$1" || return
	dockerd_up || { skipped "$1" "$dk_why"; return; }
	dk rm -f e2e-pre e2e-web e2e-db >/dev/null 2>&1
	dk run -d --name e2e-pre --network none -l io.kubernetes.pod.name=pre-0 -l io.kubernetes.pod.namespace=ns-pre \
		sysrec-e2e/bb:1 sh -c "$(dk_opens 40)" >/dev/null || { bad "$1" "docker run e2e-pre failed"; return; }
	"$bin" record -w "$work/dk.scap" --docker-socket "$dk_sock" --podman-socket "" --containerd-socket "" --stats 2>"$work/dk.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/dk.err"
	dk run --name e2e-web --network sysrec-e2e -l io.kubernetes.pod.name=web-0 -l io.kubernetes.pod.namespace=ns-a \
		-l team=blue sysrec-e2e/bb:1 sh -c "$(dk_opens 5)" >/dev/null || problem="$problem docker run e2e-web failed;"
	dk run --name e2e-db -v /etc:/host-etc:ro --network none -l io.kubernetes.pod.name=db-0 -l io.kubernetes.pod.namespace=ns-b \
		sysrec-e2e/bb:1 sh -c "$(dk_opens 5)" >/dev/null || problem="$problem docker run e2e-db failed;"
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || problem="$problem record failed: $(tail -2 "$work/dk.err");"
	grep -Eq "containers: [0-9]+ seen, 3 described by their runtime, [0-9]+ unknown to it, 0 not answered" "$work/dk.err" ||
		problem="$problem --stats: $(grep containers: "$work/dk.err");"
	fmt='%container.id %container.name %container.image %container.image.repository %container.image.tag %container.type %container.privileged %k8s.pod.name %k8s.ns.name'
	want=""
	for c in e2e-db e2e-pre e2e-web; do
		id=$(dk_id $c | cut -c1-12)
		case $c in
		e2e-pre) want+="$id $c sysrec-e2e/bb:1 sysrec-e2e/bb 1 docker false pre-0 ns-pre"$'\n' ;;
		e2e-web) want+="$id $c sysrec-e2e/bb:1 sysrec-e2e/bb 1 docker false web-0 ns-a"$'\n' ;;
		e2e-db) want+="$id $c sysrec-e2e/bb:1 sysrec-e2e/bb 1 docker false db-0 ns-b"$'\n' ;;
		esac
	done
	want=$(echo "$want" | sort -u | sed '/^$/d')
	for reader in sysdig sysrec; do
		got=$(ct_show $reader "$work/dk.scap" "$fmt" "evt.type=openat and fd.name=/etc/hostname and container.id!=host")
		[ "$got" = "$want" ] || problem="$problem $reader shows '$(echo "$got" | tr '\n' '|')', want '$(echo "$want" | tr '\n' '|')';"
		got=$(ct_show $reader "$work/dk.scap" '%evt.arg.json' "evt.type=container")
		echo "$got" | grep '"name":"e2e-web"' | grep -q '"team":"blue"' ||
			problem="$problem $reader: no container event with e2e-web's label team=blue;"
		echo "$got" | grep '"name":"e2e-web"' | grep -q '"ip":"10\.231\.0\.[0-9]*"' ||
			problem="$problem $reader: no container event with e2e-web's IP (10.231.0.x);"
	done
	got=$(ct_show sysrec "$work/dk.scap" '%container.name %container.ip' "evt.type=openat and fd.name=/etc/hostname and container.id!=host")
	echo "$got" | grep -Eq '^e2e-web 10\.231\.0\.[0-9]+$' && echo "$got" | grep -qx 'e2e-db 0.0.0.0' ||
		problem="$problem sysrec's container.ip: '$(echo "$got" | tr '\n' '|')';"
	# the description of the container started before: in the head of the file, before its first open
	got=$("$bin" read -r "$work/dk.scap" -p '%evt.num' 'evt.type=container and evt.arg.json contains "e2e-pre"' | head -1)
	want=$("$bin" read -r "$work/dk.scap" -p '%evt.num' "container.name=e2e-pre and evt.type=openat" | head -1)
	[ -n "$got" ] && [ -n "$want" ] && [ "$got" -lt "$want" ] ||
		problem="$problem e2e-pre described at event '$got', first opened at '$want';"
	got=$(ct_rules "$work/dk.scap" e2e-web ns-b 2>&1) || problem="$problem rules replay failed: $got;"
	[ "$got" = $'by-name e2e-web ns-a 5\nby-namespace e2e-db ns-b 5' ] ||
		problem="$problem the rules' alerts: '$(echo "$got" | tr '\n' '|')';"
	if [ -f "$td/falco-0.31.1/falco_rules.yaml" ]; then
		"$bin" rules replay -r "$td/falco-0.31.1/falco_rules.yaml" --rate 0 "$work/dk.scap" >"$work/dk-falco" 2>"$work/dk-falco.err" ||
			problem="$problem replay of Falco's rules failed: $(head -2 "$work/dk-falco.err");"
		got=$(grep 'Container with sensitive mount started' "$work/dk-falco" | grep -o 'container_id=[0-9a-f]* container_name=[^ ]* image=[^ ]*' | sort -u)
		[ "$got" = "container_id=$(dk_id e2e-db | cut -c1-12) container_name=e2e-db image=sysrec-e2e/bb:1" ] ||
			problem="$problem Falco's Launch Sensitive Mount Container: '$(echo "$got" | tr '\n' '|')';"
	fi
	dk rm -f e2e-pre e2e-web e2e-db >/dev/null 2>&1
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 (3 containers: name, image, labels, pod, namespace, IP in sysdig and sysrec read; rules on container.name, k8s.ns.name, Falco's Launch Sensitive Mount Container)"
	fi
}

# `sysrec record --container e2e-one`: the name is asked of the real daemon;
# only e2e-one's events are recorded, not those of e2e-two doing the same.
# Recording scoped by pod (a filter on k8s.pod.name), and by image and pod,
# keeps e2e-one's opens only too.
check_record_docker_by_name() {
	local problem="" got out id
	can_record "$1" || return
	dockerd_up || { skipped "$1" "$dk_why"; return; }
	dk rm -f e2e-one e2e-two >/dev/null 2>&1
	dk run -d --name e2e-one --network none -l io.kubernetes.pod.name=one-0 sysrec-e2e/bb:1 sh -c "$(dk_opens 40)" >/dev/null &&
		dk run -d --name e2e-two --network none sysrec-e2e/bb:1 sh -c "$(dk_opens 40)" >/dev/null ||
		{ bad "$1" "docker run failed"; return; }
	id=$(dk_id e2e-one | cut -c1-12)
	out=$("$bin" record -w "$work/dk-one.scap" --container e2e-one --docker-socket "$dk_sock" --podman-socket "" --containerd-socket "" -M 2 2>&1) ||
		problem="$problem record --container e2e-one failed: $out;"
	for reader in sysdig sysrec; do
		got=$(ct_show $reader "$work/dk-one.scap" '%container.id %container.name' 'evt.type=openat and fd.name=/etc/hostname')
		[ "$got" = "$id e2e-one" ] || problem="$problem $reader: the opens' containers are '$(echo "$got" | tr '\n' '|')';"
	done
	got=$("$bin" read -r "$work/dk-one.scap" -p '%container.name' 'container.id!=host and evt.type!=container' | sort -u)
	[ "$got" = e2e-one ] || problem="$problem events of other containers: '$(echo "$got" | tr '\n' '|')';"
	# scoped by pod, and by image and pod, with a filter on the runtime's metadata
	for flt in 'k8s.pod.name=one-0' 'container.image.repository=sysrec-e2e/bb and k8s.pod.name=one-0'; do
		out=$("$bin" record -w "$work/dk-pod.scap" --docker-socket "$dk_sock" --podman-socket "" --containerd-socket "" -M 2 "$flt" 2>&1) ||
			problem="$problem record '$flt' failed: $out;"
		got=$(ct_show sysdig "$work/dk-pod.scap" '*%container.name %k8s.pod.name' 'evt.type=openat and fd.name=/etc/hostname')
		[ "$got" = "e2e-one one-0" ] || problem="$problem record '$flt': the opens are of '$(echo "$got" | tr '\n' '|')';"
	done
	dk rm -f e2e-one e2e-two >/dev/null 2>&1
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1"
	fi
}

# The daemon stopped mid-recording (--live-restore keeps its container
# running): recording goes on, the running container keeps its name, a
# container seen after (a cgroup the test makes, as Docker would) has its id
# only, and a notification event says why, in sysdig and sysrec read. The
# daemon is started again for the checks after.
check_record_docker_stopped() {
	local problem="" rpid got reader id cid cgdir
	can_record "$1" || return
	dockerd_up || { skipped "$1" "$dk_why"; return; }
	dk rm -f e2e-live >/dev/null 2>&1
	dk run -d --name e2e-live --network none sysrec-e2e/bb:1 sh -c "$(dk_opens 20)" >/dev/null ||
		{ bad "$1" "docker run failed"; return; }
	id=$(dk_id e2e-live | cut -c1-12)
	docker_cgroup
	cgdir=${cgdir%/cpu/docker/*}/pids/docker/$cid
	[ -d /sys/fs/cgroup/pids ] || cgdir=/sys/fs/cgroup/docker/$cid
	"$bin" record -w "$work/dk-stop.scap" --docker-socket "$dk_sock" --podman-socket "" --containerd-socket "" --stats 2>"$work/dk-stop.err" &
	rpid=$!
	wait_for 10 grep -q 'recording (' "$work/dk-stop.err"
	sleep 0.5
	kill "$dk_pid"
	wait_for 20 exited "$dk_pid" || problem="$problem dockerd did not stop;"
	mkdir -p "$cgdir" || problem="$problem cannot make $cgdir;"
	sh -c "echo \$\$ >$cgdir/cgroup.procs && exec sh -c 'for i in 1 2 3; do head -c 1 /etc/hostname >/dev/null; sleep 0.2; done'"
	rmdir "$cgdir" 2>/dev/null
	sleep 1
	kill -INT "$rpid"
	stop_wait "$rpid" "$1 (sysrec record)" || problem="$problem record failed: $(tail -2 "$work/dk-stop.err");"
	for reader in sysdig sysrec; do
		got=$(ct_show $reader "$work/dk-stop.scap" '%evt.type %evt.arg.id %evt.arg.desc' "evt.type=notification and evt.arg.id=sysrec-containers")
		echo "$got" | grep -q "^notification sysrec-containers the container runtime stopped answering ($dk_sock: .*): containers seen from now on are known by their ids only$" ||
			problem="$problem $reader shows no notification of the daemon stopping: '$(echo "$got" | head -2)';"
		got=$(ct_show $reader "$work/dk-stop.scap" '*%container.id %container.name' "evt.type=openat and fd.name=/etc/hostname and container.id!=host")
		[ "$got" = "$(printf '%s\n' "${cid:0:12} <NA>" "$id e2e-live" | sort)" ] ||
			problem="$problem $reader: the opens' containers are '$(echo "$got" | tr '\n' '|')';"
	done
	# opens of e2e-live after the notification still carry its name
	got=$("$bin" read -r "$work/dk-stop.scap" -p '%evt.num' 'evt.type=notification and evt.arg.id=sysrec-containers' | head -1)
	[ -n "$got" ] && "$bin" read -r "$work/dk-stop.scap" -p '%container.name' \
		"evt.num>$got and evt.type=openat and fd.name=/etc/hostname and container.id=$id" | grep -qx e2e-live ||
		problem="$problem no open of e2e-live named after the daemon stopped;"
	dockerd_down
	dockerd_up || problem="$problem dockerd did not start again: $dk_why;"
	dk rm -f e2e-live >/dev/null 2>&1
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1"
	fi
}

# The agent with the suite's Docker: a capture taken by container name (the
# CLI) holds only that container's events, named (container.name, image,
# pod, namespace) in sysdig and sysrec read, and the catalog keeps the
# container's id, name and image; a capture scoped by a filter on the pod's
# namespace holds only that pod's container; a name no runtime knows is a 400
# naming the container field, and nothing is recorded.
check_agent_docker() {
	local problem="" id cid got out n
	agent_can_run "$1" || return
	dockerd_up || { skipped "$1" "$dk_why"; return; }
	agent_stop
	agent_start --docker-socket "$dk_sock" --podman-socket "" --containerd-socket "" ||
		{ bad "$1" "the agent did not start: $(tail -3 "$work/agent.log")"; return; }
	dk rm -f e2e-ag e2e-other >/dev/null 2>&1
	dk run -d --name e2e-ag --network none -l io.kubernetes.pod.name=ag-0 -l io.kubernetes.pod.namespace=ns-ag \
		sysrec-e2e/bb:1 sh -c "$(dk_opens 100)" >/dev/null &&
		dk run -d --name e2e-other --network none sysrec-e2e/bb:1 sh -c "$(dk_opens 100)" >/dev/null ||
		{ bad "$1" "docker run failed"; agent_stop; return; }
	cid=$(dk_id e2e-ag | cut -c1-12)
	sleep 1.5 # both described by Docker, and opening
	if "$bin" capture take --name by-name --container e2e-ag --duration 2 --json >"$work/agd.json" 2>"$work/agd.err"; then
		got=$(json_get '" ".join([j["container"], j["container_name"], j["container_image"]])' <"$work/agd.json")
		[ "$got" = "$cid e2e-ag sysrec-e2e/bb:1" ] || problem="$problem the catalog says '$got';"
		id=$(json_get 'j["id"]' <"$work/agd.json")
		"$bin" capture download "$id" -o "$work/agd.scap" 2>/dev/null || problem="$problem download failed;"
		for reader in sysdig sysrec; do
			got=$(ct_show $reader "$work/agd.scap" '*%container.id %container.name %container.image %k8s.pod.name %k8s.ns.name' \
				'evt.type!=notification and evt.type!=container')
			[ "$got" = "$cid e2e-ag sysrec-e2e/bb:1 ag-0 ns-ag" ] ||
				problem="$problem $reader: the capture's events are of '$(echo "$got" | head -3 | tr '\n' '|')';"
		done
		n=$("$bin" read -r "$work/agd.scap" -p %evt.num 'evt.type=openat and fd.name=/etc/hostname' | wc -l)
		[ "$n" -ge 4 ] || problem="$problem only $n opens of the container in 2 s;"
	else
		problem="$problem take --container e2e-ag: $(cat "$work/agd.err");"
	fi
	# by the pod's namespace, with a filter: the pod's container only
	if "$bin" capture take --name by-ns --filter 'k8s.ns.name=ns-ag' --duration 1 --json >"$work/agn.json" 2>"$work/agn.err"; then
		"$bin" capture download "$(json_get 'j["id"]' <"$work/agn.json")" -o "$work/agn.scap" 2>/dev/null
		got=$(ct_show sysdig "$work/agn.scap" '*%container.name' 'evt.type=openat and fd.name=/etc/hostname')
		[ "$got" = e2e-ag ] || problem="$problem the namespace's capture holds opens of '$(echo "$got" | tr '\n' '|')';"
	else
		problem="$problem take --filter k8s.ns.name: $(cat "$work/agn.err");"
	fi
	out=$(api POST /api/captures '{"name":"nobody","container":"e2e-nobody"}')
	[ "$(echo "$out" | tail -1)" = 400 ] && echo "$out" | grep -q '"field": *"container"' &&
		echo "$out" | grep -q 'no runtime knows it' ||
		problem="$problem an unknown name: '$(echo "$out" | tr '\n' ' ')';"
	out=$(api POST /api/captures '{"name":"bad","container":"../etc"}')
	[ "$(echo "$out" | tail -1)" = 400 ] || problem="$problem '../etc': '$(echo "$out" | tr '\n' ' ')';"
	dk rm -f e2e-ag e2e-other >/dev/null 2>&1
	agent_stop
	if [ -n "$problem" ]; then
		bad "$1" "$problem"
	else
		ok "$1 (by name: $n opens, named in sysdig and sysrec read; catalog: $cid e2e-ag sysrec-e2e/bb:1)"
	fi
}
