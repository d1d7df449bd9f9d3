#!/bin/sh
# start.sh DIR ORG_DIR [EXTRA_ARGS...] - start the Salesforce emulator for a test.
#
# Makes, under DIR only: a throwaway CA (ca.pem) and a server certificate for
# 127.0.0.1/localhost, an RSA key pair for the JWT bearer flow (jwt.key, mode
# 0600; jwt.pub), a client secret and a refresh token (each in a file, no
# trailing newline), the
# config sfemu.json; starts sfemu.js on an ephemeral port in the background
# (stdout sfemu.out, log sfemu.log), waits for its ready line and writes
# DIR/sfemu.env (sh syntax):
#   SFEMU_URL SFEMU_CA SFEMU_PID SFEMU_JWT_KEY SFEMU_JWT_PUB SFEMU_CLIENT_ID SFEMU_USERNAME
#   SFEMU_CLIENT_SECRET_FILE SFEMU_REFRESH_TOKEN_FILE SFEMU_DIR SFEMU_CONTROL
# EXTRA_ARGS go to sfemu.js (e.g. --http, --synthetic Contact=2000000,
# --idle-timeout 60, --query-polls 0).  Stop it with stop.sh DIR.
# Environment: SFEMU_USERNAME_IN / SFEMU_CLIENT_ID_IN override the defaults.
set -eu
if [ $# -lt 2 ]; then echo "usage: $0 DIR ORG_DIR [EXTRA_ARGS...]" >&2; exit 2; fi
dir=$1; org=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
org=$(cd "$org" && pwd)
command -v openssl >/dev/null || { echo "start.sh: openssl is required" >&2; exit 1; }
command -v node >/dev/null || { echo "start.sh: node is required" >&2; exit 1; }
if [ -f "$dir/sfemu.env" ]; then
	# a previous instance in the same DIR: stop it first
	"$here/stop.sh" "$dir" >/dev/null 2>&1 || true
fi

# TLS: a CA and a server certificate signed by it (EC keys: quick to make)
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3 -subj "/CN=sfemu throwaway test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$dir/ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/server.key" 2>/dev/null
openssl req -new -key "$dir/server.key" -subj "/CN=localhost" -out "$dir/server.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
	"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:::1" >"$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
	-set_serial "0x$(openssl rand -hex 8)" -days 3 -sha256 -extfile "$dir/server.ext" \
	-out "$dir/server.pem" 2>/dev/null
chmod 600 "$dir/ca.key" "$dir/server.key"

# JWT bearer: RSA key pair (the private key is what the client signs with)
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/jwt.key" 2>/dev/null)
chmod 600 "$dir/jwt.key"
openssl pkey -in "$dir/jwt.key" -pubout -out "$dir/jwt.pub"

client_id=${SFEMU_CLIENT_ID_IN:-3MVG9sfemu.$(openssl rand -hex 12)}
username=${SFEMU_USERNAME_IN:-crmsync.integration@kestrel-analytics.example}
(umask 077
 printf '%s' "$(openssl rand -hex 32)" >"$dir/client_secret"
 printf '5Aep861%s' "$(openssl rand -hex 40)" >"$dir/refresh_token")
secret=$(cat "$dir/client_secret")
refresh=$(cat "$dir/refresh_token")

# JSON string escaping for paths
js() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
cat >"$dir/sfemu.json" <<JSON
{
  "org_dir": $(js "$org"),
  "host": "127.0.0.1",
  "port": 0,
  "tls_cert": $(js "$dir/server.pem"),
  "tls_key": $(js "$dir/server.key"),
  "client_id": $(js "$client_id"),
  "client_secret": $(js "$secret"),
  "username": $(js "$username"),
  "jwt_public_key": $(js "$dir/jwt.pub"),
  "refresh_tokens": [$(js "$refresh")],
  "record_types": { "Task": ["012000000000001AAA", "012000000000002AAA", "012000000000003AAA", "012000000000004AAA"] },
  "external_ids": { "Task": ["Crmsync_Activity_Id__c"] },
  "idle_timeout": 300
}
JSON
chmod 600 "$dir/sfemu.json"

: >"$dir/sfemu.out"
node "$here/sfemu.js" --config "$dir/sfemu.json" "$@" </dev/null >"$dir/sfemu.out" 2>"$dir/sfemu.log" &
pid=$!
i=0
while ! grep -q '"url"' "$dir/sfemu.out" 2>/dev/null; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "start.sh: sfemu exited early; log:" >&2; cat "$dir/sfemu.log" >&2; exit 1
	fi
	i=$((i + 1))
	if [ $i -gt 600 ]; then echo "start.sh: sfemu did not start within 60 s" >&2; kill "$pid" 2>/dev/null; exit 1; fi
	sleep 0.1
done
url=$(sed -n 's/^{"url":"\([^"]*\)".*/\1/p' "$dir/sfemu.out" | head -n 1)
cat >"$dir/sfemu.env" <<ENV
SFEMU_URL='$url'
SFEMU_CA='$dir/ca.pem'
SFEMU_PID=$pid
SFEMU_JWT_KEY='$dir/jwt.key'
SFEMU_JWT_PUB='$dir/jwt.pub'
SFEMU_CLIENT_ID='$client_id'
SFEMU_USERNAME='$username'
SFEMU_CLIENT_SECRET_FILE='$dir/client_secret'
SFEMU_REFRESH_TOKEN_FILE='$dir/refresh_token'
SFEMU_DIR='$dir'
SFEMU_CONTROL='$url/__control'
ENV
echo "sfemu: $url (pid $pid)"
