#!/usr/bin/env bash
# deploy/install-deps.sh - install every Debian 12 package that building, testing and the
# quickstart need. Idempotent: packages already present are skipped by apt. Quiet unless
# something fails, in which case apt's log is printed and the exit status is non-zero.
set -euo pipefail

pkgs=(
	# build
	build-essential cmake pkg-config clang llvm lld clang-format
	libsodium-dev libevent-dev libjansson-dev libcmocka-dev libsystemd-dev
	libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev
	libnl-3-dev libnl-route-3-dev libbpf-dev bpftool libclang-rt-14-dev
	# tests and quickstart
	iproute2 iputils-ping iperf3 openssh-server openssh-client curl jq ca-certificates tcpdump xxd bc
	postgresql postgresql-client procps psmisc util-linux coreutils python3
	# benchmarks
	linux-perf hyperfine
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get)" >&2
	exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps: failed to install: ${missing[*]}" >&2
	exit 1
fi
