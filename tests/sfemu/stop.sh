#!/bin/sh
# stop.sh DIR - stop the emulator that start.sh DIR started (SIGTERM, then SIGKILL after 5 s).
# Only the pid recorded in DIR/sfemu.env, and only if it still runs sfemu.js.
set -eu
if [ $# -ne 1 ]; then echo "usage: $0 DIR" >&2; exit 2; fi
env_file=$1/sfemu.env
[ -f "$env_file" ] || exit 0
pid=$(sed -n 's/^SFEMU_PID=//p' "$env_file")
[ -n "$pid" ] || exit 0
if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'sfemu\.js'; then
	exit 0 # the pid was reused by something else
fi
kill "$pid" 2>/dev/null || exit 0
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 50 ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
	sleep 0.1
done
exit 0
