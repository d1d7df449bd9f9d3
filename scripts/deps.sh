#!/bin/sh
# deps.sh - make sure the Debian packages crmsync builds against are here.
#
# Checks with pkg-config (and for libcsv, which ships no .pc file, with the
# header).  When something is missing and we are root on a Debian-like
# system, installs it with apt-get; otherwise prints the exact line to run
# and fails.  Run by `make` before the first build.
set -eu

PKGS="build-essential pkg-config libcsv-dev libcurl4-openssl-dev libssl-dev
zlib1g-dev libisal-dev libyaml-dev libjansson-dev libutf8proc-dev libicu-dev libsqlite3-dev sqlite3
openssl curl"
# the tests run a Salesforce emulator on Node.js (tests/sfemu); a node
# already on the machine (any version >= 18) is used as it is
NODE_PKGS="nodejs npm"
PCS="libcurl openssl zlib libisal yaml-0.1 jansson libutf8proc icu-i18n icu-uc sqlite3"

missing() {
	command -v pkg-config >/dev/null 2>&1 || return 0
	command -v cc >/dev/null 2>&1 || return 0
	command -v sqlite3 >/dev/null 2>&1 || return 0
	command -v openssl >/dev/null 2>&1 || return 0
	command -v curl >/dev/null 2>&1 || return 0
	command -v node >/dev/null 2>&1 || return 0
	command -v npm >/dev/null 2>&1 || return 0
	pkg-config --exists $PCS || return 0
	# libcsv: header and library, no pkg-config file on Debian
	printf '#include <csv.h>\nint main(void){struct csv_parser p;return csv_init(&p,0);}\n' |
		cc -x c - -o /dev/null -lcsv >/dev/null 2>&1 || return 0
	return 1
}

if ! missing; then
	exit 0
fi

pkgs=$PKGS
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	pkgs="$pkgs $NODE_PKGS"
fi
line="apt-get install -y --no-install-recommends $(echo $pkgs)"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: installing build dependencies: $line" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $pkgs >&2
	if missing; then
		echo "deps.sh: dependencies still missing after apt-get" >&2
		exit 1
	fi
	exit 0
fi
echo "deps.sh: missing build dependencies; run as root:" >&2
echo "  apt-get update && $line" >&2
exit 1
