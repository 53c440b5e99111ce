#!/usr/bin/env bash
# deps.sh: install every Debian 12 package the build, tests and benchmarks need.
# Idempotent and quiet when everything is already there.
set -euo pipefail

PACKAGES=(
	make gcc clang llvm pkg-config git ca-certificates
	zlib1g-dev libjansson-dev libcmocka-dev
	libbpf-dev bpftool libelf-dev libpcap-dev libmicrohttpd-dev libyaml-dev
	libcurl4-openssl-dev libssl-dev libprotobuf-c-dev protobuf-c-compiler
	clang-format clang-tidy cppcheck
	sysdig hyperfine gzip python3 python3-yaml strace linux-perf openssl
	tcpdump tshark iputils-ping iproute2 curl iperf3
	chromium
	docker.io containerd runc podman busybox-static
)
# node and npm for the browser tests (tests/browser): the machine's own when it has them
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -ne 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages: ${missing[*]}; run as root (or: sudo scripts/deps.sh)" >&2
		exit 1
	fi
	echo "deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# No service is started by a package's install (policy-rc.d: 101, "not
	# allowed"): docker.io's and containerd's init scripts raise ulimits, which
	# some machines refuse, failing the install; the tests start the daemons
	# they need themselves.
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
	[ "${rc:-0}" = 0 ] || exit "$rc"
fi

# playwright-core for the browser tests, from tests/browser/package-lock.json (never a
# downloaded browser: they drive Debian's /usr/bin/chromium). Reinstalled only when the
# lock file changed since the last install.
browser=$(cd "$(dirname "$0")/../tests/browser" && pwd)
if ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.package-lock.json.installed" 2>/dev/null; then
	echo "deps.sh: npm ci in tests/browser" >&2
	(cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	cp "$browser/package-lock.json" "$browser/node_modules/.package-lock.json.installed"
fi
