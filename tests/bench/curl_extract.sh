#!/bin/sh
#
# curl_extract.sh - the floor of the extract benchmark: the least work that
# gets a Bulk API 2.0 query result from Salesforce into a gzip file.
#
#	curl_extract.sh ENV_FILE SOQL MAX_RECORDS OUT.csv.gz
#
# ENV_FILE is the emulator's sfemu.env (SFEMU_URL, SFEMU_CA, SFEMU_JWT_KEY,
# SFEMU_CLIENT_ID, SFEMU_USERNAME).  The script does what crmsync does on
# the wire and nothing else:
#
#   1. JWT bearer flow: an RS256 assertion signed with the openssl CLI,
#      POST /services/oauth2/token;
#   2. POST /services/data/v62.0/jobs/query (queryAll, CSV, COMMA, LF);
#   3. GET the job until JobComplete (no sleep before the first poll, then
#      50 ms, like crmsync with poll_interval_ms: 50);
#   4. GET .../results?maxRecords=N[&locator=L] with `curl --compressed`
#      until Sforce-Locator is null.  Every page body goes to one
#      `gzip -6` writing OUT, so transfer and compression overlap as in a
#      shell pipeline.  Each page keeps its header line (the server sends
#      one per page); nothing is parsed or checked.
#
# Prints "records N pages P" (the sum of Sforce-NumberOfRecords) on
# stdout.  The access token is kept in a 0600 file and passed to curl
# with -H @FILE, so it is never on a command line.  Exits non-zero when
# a call fails.
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 ENV_FILE SOQL MAX_RECORDS OUT.csv.gz" >&2
	exit 2
fi
env_file=$1
soql=$2
max=$3
out=$4
# shellcheck disable=SC1090
. "$env_file"
api="$SFEMU_URL/services/data/v62.0"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/curl_extract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# loopback never goes through a proxy
req() {
	curl -sS --fail-with-body --noproxy '*' --cacert "$SFEMU_CA" "$@"
}

b64url() {
	openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# 1. token
now=$(date +%s)
head=$(printf '{"alg":"RS256"}' | b64url)
claims=$(printf '{"iss":"%s","sub":"%s","aud":"%s","exp":%d}' \
	"$SFEMU_CLIENT_ID" "$SFEMU_USERNAME" "$SFEMU_URL" $((now + 170)) | b64url)
sig=$(printf '%s.%s' "$head" "$claims" |
	openssl dgst -sha256 -sign "$SFEMU_JWT_KEY" -binary | b64url)
(umask 077
 req -X POST "$SFEMU_URL/services/oauth2/token" \
	--data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
	--data-urlencode "assertion=$head.$claims.$sig" >"$tmp/token.json"
 sed -n 's/.*"access_token":"\([^"]*\)".*/Authorization: Bearer \1/p' \
	"$tmp/token.json" >"$tmp/auth")
[ -s "$tmp/auth" ] || { echo "curl_extract: no access token" >&2; exit 1; }

# 2. the query job (the SOQL is plain field names: no JSON escaping needed)
req -X POST -H @"$tmp/auth" -H 'Content-Type: application/json; charset=UTF-8' \
	-H 'Accept: application/json' \
	--data "{\"operation\":\"queryAll\",\"query\":\"$soql\",\"contentType\":\"CSV\",\"columnDelimiter\":\"COMMA\",\"lineEnding\":\"LF\"}" \
	"$api/jobs/query" >"$tmp/job.json"
id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$tmp/job.json")
[ -n "$id" ] || { echo "curl_extract: no job id: $(cat "$tmp/job.json")" >&2; exit 1; }

# 3. poll
wait=""
while :; do
	[ -z "$wait" ] || sleep "$wait"
	wait=0.05
	state=$(req -H @"$tmp/auth" -H 'Accept: application/json' "$api/jobs/query/$id" |
		sed -n 's/.*"state":"\([^"]*\)".*/\1/p')
	case $state in
	JobComplete) break ;;
	UploadComplete | InProgress) ;;
	*) echo "curl_extract: job $id ended '$state'" >&2; exit 1 ;;
	esac
done

# 4. the pages, each body into the one gzip.  The loop runs in a subshell
# (the left side of the pipe): it leaves the record counts and a mark of
# success in files.
loc=""
: >"$tmp/counts"
while :; do
	url="$api/jobs/query/$id/results?maxRecords=$max${loc:+&locator=$loc}"
	req --compressed -H @"$tmp/auth" -H 'Accept: text/csv' \
		-D "$tmp/headers" "$url"
	n=$(sed -n 's/^[Ss]force-[Nn]umber[Oo]f[Rr]ecords: *\([0-9]*\).*/\1/p' "$tmp/headers")
	echo "${n:-0}" >>"$tmp/counts"
	loc=$(sed -n 's/^[Ss]force-[Ll]ocator: *\([^[:space:]]*\).*/\1/p' "$tmp/headers")
	if [ -z "$loc" ]; then
		echo "curl_extract: a page has no Sforce-Locator" >&2
		exit 1
	fi
	if [ "$loc" = null ]; then
		: >"$tmp/done"
		break
	fi
done | gzip -6 >"$out"
[ -f "$tmp/done" ] || { echo "curl_extract: fetching the pages failed" >&2; exit 1; }
echo "records $(awk '{ s += $1 } END { print s }' "$tmp/counts") pages $(wc -l <"$tmp/counts" | tr -d ' ')"
