#!/bin/sh
# run.sh - crmsync's test runner: unit tests, then fixture-replay cases.
#
#   tests/run.sh [-v] [-i] [PATTERN...]
#
# Unit tests are the programs build/tests/test_* (TAP); each test point
# counts.  A case is a folder tests/cases/NNNN-name/ holding:
#   cmd               the arguments to crmsync, one line (or `run`, below)
#   run               instead of cmd: a sh script run in the scratch dir
#                     with $CRMSYNC, $CASE, $ROOT, $SCRATCH set; what it
#                     prints and its exit status are compared like a
#                     command's
#   setup             optional sh script run in the scratch dir first
#   anything else     copied into the scratch dir (%ROOT, %SCRATCH and
#                     %CASE substituted in *.yaml files)
#   expected/exit     expected exit status (default 0)
#   expected/stdout   exact standard output (absent: not compared)
#   expected/stderr   exact standard error
#   expected/stderr.contains   lines that must each appear in stderr
#   expected/files/P  file P of the scratch dir must have this content
#                     (.gz files are compared decompressed)
#   expected/absent   paths (globs) that must not exist afterwards
# Output is compared after replacing the scratch path by %SCRATCH and the
# repository path by %ROOT.  The clock is pinned (CRMSYNC_NOW) so run ids
# are stable.  A failing case keeps its scratch dir under tests/trash/.
# The last line is "N passed, N failed".
set -u
LC_ALL=C
TZ=UTC
export LC_ALL TZ

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CRMSYNC=${CRMSYNC:-$BUILD/crmsync}
case $CRMSYNC in /*) ;; *) CRMSYNC=$ROOT/$CRMSYNC ;; esac
CRMSYNC_NOW=${CRMSYNC_NOW:-2026-11-29T12:00:00Z}
export CRMSYNC ROOT CRMSYNC_NOW BUILD

verbose=0
immediate=0
while [ $# -gt 0 ]; do
	case $1 in
	-v) verbose=1; shift ;;
	-i) immediate=1; shift ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 64 ;;
	*) break ;;
	esac
done

passed=0
failed=0
failures=""
TRASH=${TRASH:-$ROOT/tests/trash}
mkdir -p "$TRASH"

selected() {
	[ $# -eq 0 ] && return 0
	for p in "$@"; do
		case $name in *"$p"*) return 0 ;; esac
	done
	return 1
}

fail() {
	failed=$((failed + 1))
	failures="$failures $1"
	echo "not ok - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	if [ $immediate = 1 ]; then
		echo "$passed passed, $failed failed"
		exit 1
	fi
}

pass() {
	passed=$((passed + 1))
	[ $verbose = 1 ] && echo "ok - $1"
	return 0
}

# ---- unit tests ------------------------------------------------------------
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	selected "$@" || continue
	out=$(cd "$ROOT" && "$t" 2>&1)
	status=$?
	np=$(printf '%s\n' "$out" | grep -c '^ok ')
	nf=$(printf '%s\n' "$out" | grep -c '^not ok ')
	passed=$((passed + np))
	if [ "$nf" -gt 0 ] || [ $status -ne 0 ]; then
		[ "$nf" -eq 0 ] && nf=1
		failed=$((failed + nf))
		failures="$failures $name"
		echo "not ok - $name ($nf failed, exit $status)"
		printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/#   /' | head -60
		[ $immediate = 1 ] && { echo "$passed passed, $failed failed"; exit 1; }
	elif [ $verbose = 1 ]; then
		echo "ok - $name ($np points)"
	fi
done

# ---- fixture-replay cases ----------------------------------------------------
normalise() {
	sed -e "s#$SCRATCH#%SCRATCH#g" -e "s#$ROOT#%ROOT#g" "$1"
}

for casedir in "$ROOT"/tests/cases/*/; do
	[ -d "$casedir" ] || continue
	casedir=${casedir%/}
	name=case/$(basename "$casedir")
	selected "$@" || continue
	SCRATCH=$TRASH/$(basename "$casedir")
	rm -rf "$SCRATCH"
	mkdir -p "$SCRATCH"
	CASE=$casedir
	export SCRATCH CASE
	for f in "$casedir"/* "$casedir"/.[!.]*; do
		[ -e "$f" ] || continue
		case $(basename "$f") in expected|cmd|run|setup) continue ;; esac
		cp -R "$f" "$SCRATCH"/
	done
	for y in "$SCRATCH"/*.yaml "$SCRATCH"/*/*.yaml; do
		[ -f "$y" ] || continue
		sed -i -e "s#%ROOT#$ROOT#g" -e "s#%SCRATCH#$SCRATCH#g" \
			-e "s#%CASE#$casedir#g" "$y"
	done
	why=""
	if [ -f "$casedir/setup" ]; then
		if ! (cd "$SCRATCH" && sh "$casedir/setup") \
			>"$SCRATCH/.setup.out" 2>&1; then
			fail "$name" "setup failed: $(cat "$SCRATCH/.setup.out")"
			continue
		fi
	fi
	if [ -f "$casedir/run" ]; then
		(cd "$SCRATCH" && sh "$casedir/run") \
			>"$SCRATCH/.stdout" 2>"$SCRATCH/.stderr" </dev/null
		status=$?
	elif [ -f "$casedir/cmd" ]; then
		args=$(sed -e "s#%ROOT#$ROOT#g" -e "s#%SCRATCH#$SCRATCH#g" \
			"$casedir/cmd")
		# shellcheck disable=SC2086
		(cd "$SCRATCH" && eval "\"\$CRMSYNC\" $args") \
			>"$SCRATCH/.stdout" 2>"$SCRATCH/.stderr" </dev/null
		status=$?
	else
		fail "$name" "case has neither cmd nor run"
		continue
	fi
	exp=$casedir/expected
	want=0
	[ -f "$exp/exit" ] && want=$(cat "$exp/exit")
	[ "$status" = "$want" ] || why="exit status $status, expected $want"
	if [ -z "$why" ] && [ -f "$exp/stdout" ]; then
		normalise "$SCRATCH/.stdout" >"$SCRATCH/.stdout.n"
		d=$(diff -u "$exp/stdout" "$SCRATCH/.stdout.n") ||
			why="stdout differs:
$d"
	fi
	if [ -z "$why" ] && [ -f "$exp/stderr" ]; then
		normalise "$SCRATCH/.stderr" >"$SCRATCH/.stderr.n"
		d=$(diff -u "$exp/stderr" "$SCRATCH/.stderr.n") ||
			why="stderr differs:
$d"
	fi
	if [ -z "$why" ] && [ -f "$exp/stderr.contains" ]; then
		normalise "$SCRATCH/.stderr" >"$SCRATCH/.stderr.n"
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			grep -qF -- "$line" "$SCRATCH/.stderr.n" || {
				why="stderr lacks: $line
stderr was:
$(cat "$SCRATCH/.stderr.n")"
				break
			}
		done <"$exp/stderr.contains"
	fi
	if [ -z "$why" ] && [ -d "$exp/files" ]; then
		for f in $(cd "$exp/files" && find . -type f | sort); do
			got=$SCRATCH/$f
			if [ ! -f "$got" ]; then
				why="missing output $f"
				break
			fi
			case $f in
			*.gz)
				d=$(diff -u "$exp/files/$f" \
					"$(gzip -dc "$got" >"$SCRATCH/.cmp"; echo "$SCRATCH/.cmp")") ;;
			*)
				d=$(diff -u "$exp/files/$f" "$got") ;;
			esac || { why="output $f differs:
$d"; break; }
		done
	fi
	if [ -z "$why" ] && [ -f "$exp/absent" ]; then
		while IFS= read -r pat; do
			[ -n "$pat" ] || continue
			for hit in "$SCRATCH"/$pat; do
				[ -e "$hit" ] && { why="must not exist: ${hit#$SCRATCH/}"; break 2; }
			done
		done <"$exp/absent"
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why
(scratch kept in $SCRATCH)"
	else
		pass "$name"
		rm -rf "$SCRATCH"
	fi
done

rmdir "$TRASH" 2>/dev/null
if [ $failed -gt 0 ]; then
	echo "failed:$failures"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
