#!/bin/sh
# demo.sh - `make demo`: the bundled demo end to end against the Salesforce
# emulator: extract, match, load and export (activity writeback).
#
# Starts the emulator (tests/sfemu, Node.js standard library only) seeded
# with the demo org tests/fixtures/demo/org, writes the job
# STAGING/demo-sf.yaml (jobs/demo.yaml with a salesforce source on the
# emulator: JWT bearer flow, throwaway CA and key under
# STAGING/demo-sf-emulator/), runs `crmsync run` on it from a clean slate
# (`crmsync purge --yes` first, the emulator's org being new each time),
# prints the Tasks and Notes the org received, then stops the emulator
# (which leaves them in STAGING/demo-sf-emulator/org/Task.csv and Note.csv).
#
#   scripts/demo.sh            STAGING = ./staging
#   DEMO_STAGING=DIR scripts/demo.sh
#   CRMSYNC=PATH               the binary (default build/crmsync)
#
# Without node, runs the offline demo instead (jobs/demo.yaml, a fixture
# source: export stages the requests and sends nothing).
# Exit status: crmsync's (0, or 2 when rows were rejected), or 1 when the
# emulator could not be started.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
crmsync=${CRMSYNC:-$root/build/crmsync}
staging=${DEMO_STAGING:-$root/staging}
mkdir -p "$staging"
staging=$(cd "$staging" && pwd)

if ! command -v node >/dev/null 2>&1; then
	echo "demo: node is not installed: running the offline demo (fixture source; nothing is sent)" >&2
	exec "$crmsync" run "$root/jobs/demo.yaml"
fi

emu=$staging/demo-sf-emulator
job=$staging/demo-sf.yaml
sh "$root/tests/sfemu/start.sh" "$emu" "$root/tests/fixtures/demo/org" --quiet \
	--dump "$emu/org" \
	>"$staging/demo-sf-emulator.out" 2>&1 || {
	cat "$staging/demo-sf-emulator.out" >&2
	echo "demo: the Salesforce emulator did not start" >&2
	exit 1
}
trap 'sh "$root/tests/sfemu/stop.sh" "$emu" >/dev/null 2>&1 || true' EXIT INT TERM
. "$emu/sfemu.env"
echo "demo: Salesforce emulator at $SFEMU_URL, seeded with tests/fixtures/demo/org" >&2

# jobs/demo.yaml with absolute paths, its own name and the emulator as source
awk -v root="$root" -v staging="$staging" -v url="$SFEMU_URL" -v ca="$SFEMU_CA" \
    -v cid="$SFEMU_CLIENT_ID" -v user="$SFEMU_USERNAME" -v key="$SFEMU_JWT_KEY" '
	/^job:/ { print "job:"; print "  name: demo-sf"; skip = 1; next }
	/^staging:/ { print "staging:"; print "  root: " staging; skip = 1; next }
	/^source:/ {
		print "source:"
		print "  kind: salesforce"
		print "  login_url: " url
		print "  ca_file: " ca
		print "  auth:"
		print "    flow: jwt"
		print "    client_id: " cid
		print "    username: " user
		print "    private_key_file: " key
		skip = 1; next
	}
	skip && /^[ \t]/ { next }
	{ skip = 0; gsub(/\.\.\/tests\//, root "/tests/"); print }
' "$root/jobs/demo.yaml" >"$job"

"$crmsync" -q purge --yes "$job" >/dev/null
rc=0
"$crmsync" run "$job" || rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
	exit $rc
fi
echo
node "$root/scripts/demo_report.js" "$SFEMU_CONTROL" "$SFEMU_CA" \
	"$root/tests/fixtures/demo/org" "$job"
echo
echo "The job: $job (staging $staging/demo-sf/); look at it with"
echo "  $crmsync status $job"
echo "The emulator is stopped now (its Tasks and Notes: $emu/org/); 'make demo' starts afresh."
exit $rc
