#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Everything leakd needs on a fresh Debian 12 machine, as root:
#   ./setup.sh start     packages, build, install, and the daemon running (systemd
#                        service, or in the background where systemd does not run)
#   ./setup.sh install   packages, build, install (the default)
#   ./setup.sh test      packages, build, the whole test suite; ends "N passed, N failed"
#   ./setup.sh build     packages and build only
# BUILD_DIR (default: build) is where meson builds.
set -euo pipefail

cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}

# libbpf >= 1.4, bpftool 7.5, libdw 0.192 and meson 1.7 come from bookworm-backports.
BACKPORTS="libbpf-dev bpftool libelf-dev libdw-dev meson"
# To build and run leakd.
PACKAGES="build-essential pkg-config ninja-build clang-19 zlib1g-dev libjson-c-dev check python3
          binutils util-linux systemd bash-completion libiberty-dev libprotobuf-c-dev
          protobuf-c-compiler"
# Only for the tests: the real programs and tools they use.
TEST_PACKAGES="mandoc man-db groff-base nodejs libjemalloc2 libgoogle-perftools4
          libmimalloc2.0 rustc golang-go libxml2-utils librsvg2-bin prometheus"

deps() {
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: run as root (it installs packages)" >&2
		exit 1
	fi
	. /etc/os-release
	if [ "${VERSION_CODENAME:-}" = bookworm ] &&
	   ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
		cat >/etc/apt/sources.list.d/bookworm-backports.sources <<-SRC
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		SRC
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if [ "${VERSION_CODENAME:-}" = bookworm ]; then
		# shellcheck disable=SC2086
		apt-get install -y -qq -t bookworm-backports $BACKPORTS >/dev/null
	else
		# shellcheck disable=SC2086
		apt-get install -y -qq $BACKPORTS >/dev/null
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq $PACKAGES >/dev/null
	if [ "${1:-}" = test ]; then
		# Packages that ship a service (prometheus) must not start one here: the tests
		# run their own, on loopback.  policy-rc.d is Debian's way to say so.
		local policy=/usr/sbin/policy-rc.d made=""
		if [ ! -e "$policy" ]; then
			printf '#!/bin/sh\nexit 101\n' >"$policy"
			chmod 755 "$policy"
			made=1
		fi
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $TEST_PACKAGES >/dev/null || {
			[ -n "$made" ] && rm -f "$policy"
			exit 1
		}
		[ -n "$made" ] && rm -f "$policy"
	fi
	return 0
}

build() {
	if [ -d "$BUILD_DIR" ]; then
		meson setup --reconfigure "$BUILD_DIR" >/dev/null
	else
		# The daemon reads /etc/leakd/leakd.conf whatever the prefix.
		meson setup --sysconfdir=/etc "$BUILD_DIR" >/dev/null
	fi
	ninja -C "$BUILD_DIR"
}

install() {
	# An existing /etc/leakd/leakd.conf stays (systemd/install-conf.sh); settings
	# of one's own go best in /etc/leakd/leakd.conf.d/*.conf.
	meson install -C "$BUILD_DIR" --quiet
	# The socket's group (systemd-sysusers reads the installed leakd.sysusers).
	systemd-sysusers 2>/dev/null || true
	getent group leakd >/dev/null || groupadd --system leakd
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload
	fi
}

start() {
	if [ -d /run/systemd/system ]; then
		systemctl enable --now leakd
		systemctl --no-pager --lines=3 status leakd || true
		return
	fi
	# No systemd (a container): the daemon in the background, its log in a file.
	if [ -S /run/leakd/leakd.sock ] && leakctl status >/dev/null 2>&1; then
		echo "leakd is running already"
		return
	fi
	mkdir -p /run/leakd /var/log
	nohup "$(command -v leakd)" >>/var/log/leakd.log 2>&1 &
	for _ in $(seq 100); do
		[ -S /run/leakd/leakd.sock ] && break
		sleep 0.1
	done
	echo "leakd started (pid $!; log /var/log/leakd.log); try: leakctl status"
}

run_tests() {
	local rc=0
	# Unit tests in parallel, then the end-to-end ones (they run one at a time).
	meson test -C "$BUILD_DIR" --print-errorlogs --num-processes "$(nproc)" || rc=$?
	python3 tools/test-summary.py "$BUILD_DIR/meson-logs/testlog.json"
	return $rc
}

case "${1:-install}" in
deps)
	deps
	;;
build)
	deps
	build
	;;
test)
	deps test
	build
	run_tests
	;;
install)
	deps
	build
	install
	;;
start)
	deps
	build
	install
	start
	;;
*)
	echo "usage: setup.sh [start|install|test|build|deps]" >&2
	exit 2
	;;
esac
