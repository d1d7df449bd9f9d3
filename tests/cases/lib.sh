# lib.sh - helpers for the `run` scripts of the cases (sourced).

# demo_job OUT.yaml STAGING [ORG]: the demo job with absolute fixture
# paths, its staging root STAGING and, optionally, another fixture org.
demo_job() {
	sed -e "s#\.\./tests/#$ROOT/tests/#g" \
	    -e "s#root: \.\./staging#root: $2#" "$ROOT/jobs/demo.yaml" >"$1"
	if [ -n "${3:-}" ]; then
		sed -i "s#dir: .*/demo/org\$#dir: $3#" "$1"
	fi
}

# flip_byte FILE OFFSET: xor one byte with 1.
flip_byte() {
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# emu_start [ORG] [ARGS...]: starts the Salesforce emulator in ./emu with
# the demo org (or ORG), loads its settings, and stops it when the
# script exits.
emu_start() {
	org=${1:-$ROOT/tests/fixtures/demo/org}
	[ $# -gt 0 ] && shift
	sh "$ROOT/tests/sfemu/start.sh" emu "$org" "$@" >emu.out 2>&1 ||
		{ cat emu.out; exit 1; }
	. ./emu/sfemu.env
	trap 'sh "$ROOT/tests/sfemu/stop.sh" emu >/dev/null 2>&1' EXIT
}

# emu_control METHOD PATH [JSON]: calls the emulator's control API.
emu_control() {
	curl -sS --cacert "$SFEMU_CA" -X "$1" -H 'Content-Type: application/json' \
		${3:+--data "$3"} "$SFEMU_CONTROL$2"
}

# sf_job OUT.yaml NAME STAGING [FLOW]: a job reading the emulator with
# the jwt (default), refresh_token or client_credentials flow; the client
# secret arrives through ${SF_CLIENT_SECRET}.
sf_job() {
	case ${4:-jwt} in
	jwt) auth="    username: $SFEMU_USERNAME
    private_key_file: $SFEMU_JWT_KEY" ;;
	refresh_token) auth="    refresh_token_file: $SFEMU_REFRESH_TOKEN_FILE" ;;
	client_credentials) auth="    client_secret: \${SF_CLIENT_SECRET}" ;;
	esac
	cat >"$1" <<YAML
job: {name: $2}
staging: {root: $3}
source:
  kind: salesforce
  login_url: $SFEMU_URL
  ca_file: $SFEMU_CA
  page_size: 40
  retry_base_ms: 20
  poll_interval_ms: 10
  timeout_seconds: 10
  auth:
    flow: ${4:-jwt}
    client_id: $SFEMU_CLIENT_ID
$auth
YAML
}

# gen_job SEED: a generated org (3 000 CRM people, 30 000 profiles) of
# seed SEED in ./gen, and job.yaml: the demo job on it, staging in
# ./staging, without overrides.
gen_job() {
	"$BUILD/tools/gen_org" --crm 3000 --profiles 30000 --seed "$1" \
		--out gen 2>/dev/null
	sed -e "s#dir: \.\./tests/fixtures/demo/org#dir: $PWD/gen/org#" \
	    -e "s#\.\./tests/fixtures/demo/directory/#$PWD/gen/directory/#" \
	    -e "s#root: \.\./staging#root: staging#" -e '/overrides:/d' \
	    "$ROOT/jobs/demo.yaml" >job.yaml
}

# same_files A B: every staged match file of gen_job()'s run A equals
# run B's (cmp prints the first difference and fails).
same_files() {
	n=0
	for f in staging/demo/runs/$1/match/*.csv.gz; do
		cmp "$f" "staging/demo/runs/$2/match/${f##*/}"
		n=$((n + 1))
	done
	echo "$1 and $2: $n staged files identical"
}
