#!/bin/sh
# conformance.sh DIR - run jsforce 3.10.16 against the emulator seeded with the demo org.
# Installs the pinned dependencies first if missing (npm ci in tests/sfemu),
# starts the emulator under DIR, runs conformance.js, stops the emulator.
# Exit status: that of conformance.js (0 = all checks passed).
set -eu
if [ $# -ne 1 ]; then echo "usage: $0 DIR" >&2; exit 2; fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# loopback must never go through a proxy (jsforce honours these variables)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
if [ ! -f "$here/node_modules/jsforce/package.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund)
fi
org=$root/tests/fixtures/demo/org
"$here/start.sh" "$dir" "$org" --idle-timeout 120
trap '"$here/stop.sh" "$dir"' EXIT INT TERM
. "$dir/sfemu.env"
export SFEMU_URL SFEMU_CA SFEMU_PID SFEMU_JWT_KEY SFEMU_CLIENT_ID SFEMU_USERNAME \
	SFEMU_CLIENT_SECRET_FILE SFEMU_REFRESH_TOKEN_FILE SFEMU_DIR
export SFEMU_ORG_DIR="$org" NODE_EXTRA_CA_CERTS="$SFEMU_CA"
cd "$here"
node conformance.js
