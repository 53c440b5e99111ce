#!/usr/bin/env bash
# deps.sh: install every Debian 12 package the build, tests and benchmarks need.
# Idempotent and quiet when everything is already there.
set -euo pipefail

PACKAGES=(
	make gcc clang llvm pkg-config git ca-certificates
	zlib1g-dev libjansson-dev libcmocka-dev
	libbpf-dev bpftool libelf-dev libpcap-dev libmicrohttpd-dev libyaml-dev
	libcurl4-openssl-dev libssl-dev
	clang-format clang-tidy cppcheck
	sysdig hyperfine gzip python3 python3-yaml strace linux-perf openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (or: sudo scripts/deps.sh)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
