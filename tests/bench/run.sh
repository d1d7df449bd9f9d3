#!/bin/sh
#
# run.sh - the benchmarks of `make bench`: each one times crmsync against a
# peer on the same data and prints the ratio side by side with its target.
#
#	BUILD=build tests/bench/run.sh          every section
#	BENCH=csv tests/bench/run.sh            only the named sections
#	BENCH_ROWS=500000 tests/bench/run.sh    smaller data (default 5000000,
#	                                        about 1 GB of CSV)
#
# Environment: BUILD (build), BENCH (all; a list such as "csv match"),
# BENCH_ROWS (5000000), BENCH_REPS (3: each command runs that many times
# and the best time is kept), BENCH_SEED (1), BENCH_DATA (tests/bench/data,
# gitignored: generated data is kept there and reused while the generator
# is unchanged).
#
# Benchmarks report, they do not gate: a missed target prints FAIL and the
# script still exits 0.  It exits 1 only when a command fails (then the
# measurement means nothing), 64 on an unknown section name.
#
# Adding a section: write bench_<name>() with gen_contacts_data, measure
# and check below, and add <name> to SECTIONS.  See README.md.
#
# Ratios are cut (not rounded) to two decimals and peak RSS to one before
# they are compared with a target, so rounding never turns a FAIL into a
# PASS.

# shellcheck disable=SC2317 # the bench_* functions are called by name
set -eu

cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
BENCH=${BENCH:-all}
BENCH_ROWS=${BENCH_ROWS:-5000000}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_SEED=${BENCH_SEED:-1}
DATA=${BENCH_DATA:-tests/bench/data}
TOOLS=$BUILD/tools

SECTIONS="csv"

VERDICTS=""
ERRORS=0
NOISY=""

die() {
	echo "bench: $*" >&2
	exit 1
}

# ---- helpers -------------------------------------------------------------

# fmt FORMAT EXPR...: prints awk's printf of the expressions, e.g.
#   fmt '%.2f' "$a / $b"
fmt() {
	_f=$1
	shift
	awk "BEGIN { printf \"$_f\", $(IFS=,; echo "$*") }"
}

size_of() {
	wc -c <"$1" | tr -d ' '
}

# human BYTES: "1.07 GB", "57 MB" (decimal units, as the MB/s figures)
human() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1e9) printf "%.2f GB", b / 1e9
		else if (b >= 1e8) printf "%.0f MB", b / 1e6
		else printf "%.1f MB", b / 1e6 }'
}

# verdict PASS|FAIL|ERROR TEXT: records one line for the summary.
verdict() {
	VERDICTS="$VERDICTS$1  $2
"
	[ "$1" != ERROR ] || ERRORS=$((ERRORS + 1))
}

# starved PEER WALL CPU: notes a single-threaded, CPU-bound peer whose wall
# time was well above its CPU time, i.e. it had to wait for a CPU.
starved() {
	if awk "BEGIN { exit !($2 > 1.15 * $3) }"; then
		NOISY="$NOISY${NOISY:+, }$1"
	fi
}

# check NAME VALUE OP TARGET: PASS or FAIL as awk finds VALUE OP TARGET.
check() {
	if awk "BEGIN { exit !($2 $3 $4) }"; then
		verdict PASS "$1 $2 $3 $4"
	else
		verdict FAIL "$1 $2 $3 $4"
	fi
}

#
# measure NAME 'SHELL COMMAND': runs the command BENCH_REPS times under
# peakrss, with stdout and stderr in $RUN/NAME.out and NAME.err (a
# redirection inside the command wins).  Sets M_WALL to the best wall
# time in seconds, M_CPU to the user + sys seconds of that run and M_RSS
# to the largest peak RSS in KiB.  Returns 1 after recording an ERROR when
# a run fails.
#
measure() {
	_name=$1
	_cmd=$2
	_i=0
	M_WALL=""
	M_CPU=""
	M_RSS=0
	while [ "$_i" -lt "$BENCH_REPS" ]; do
		_i=$((_i + 1))
		if ! PEAKRSS_OUT="$RUN/.peakrss" "$TOOLS/peakrss" "$_cmd" \
			>"$RUN/$_name.out" 2>"$RUN/$_name.err"; then
			_st=$(sed -n 's/.* status //p' "$RUN/.peakrss")
			verdict ERROR "$_name: $_cmd: exit ${_st:-?}, see $RUN/$_name.err"
			sed 's/^/	/' "$RUN/$_name.err" | head -5 >&2
			return 1
		fi
		# wall W user U sys S maxrss_kib K status 0
		read -r _ _w _ _u _ _s _ _k _ <"$RUN/.peakrss"
		printf '  %-12s run %d: %6.2f s (cpu %6.2f s)  %7.1f MiB\n' \
			"$_name" "$_i" "$_w" "$(fmt '%f' "$_u + $_s")" \
			"$(fmt '%f' "$_k / 1024")" >&2
		if [ -z "$M_WALL" ] || awk "BEGIN { exit !($_w < $M_WALL) }"; then
			M_WALL=$_w
			M_CPU=$(fmt '%.2f' "$_u + $_s")
		fi
		[ "$_k" -le "$M_RSS" ] || M_RSS=$_k
	done
}

#
# gen_contacts_data: makes sure $DATA holds BENCH_ROWS generated Contact
# rows as plain CSV ($PLAIN) and as `gzip -6 -n` of it ($GZ).  They are
# made again when the generator prints something else than it did for
# them (a checksum of its first 10000 rows is kept in $PLAIN.stamp).
#
gen_contacts_data() {
	PLAIN="$DATA/contacts-$BENCH_ROWS-s$BENCH_SEED.csv"
	GZ="$PLAIN.gz"
	_stamp=$("$TOOLS/gen_contacts" --rows 10000 --seed "$BENCH_SEED" | cksum)
	if [ ! -s "$PLAIN" ] || [ ! -f "$PLAIN.stamp" ] ||
	   [ "$(cat "$PLAIN.stamp")" != "$_stamp" ]; then
		echo "  generating $BENCH_ROWS rows into $PLAIN" >&2
		rm -f "$PLAIN.stamp" "$GZ"
		"$TOOLS/gen_contacts" --rows "$BENCH_ROWS" --seed "$BENCH_SEED" \
			>"$RUN/plain.tmp"
		mv "$RUN/plain.tmp" "$PLAIN"
		echo "$_stamp" >"$PLAIN.stamp"
	fi
	if [ ! -s "$GZ" ] || [ -n "$(find "$PLAIN" -newer "$GZ")" ]; then
		echo "  compressing $PLAIN (gzip -6 -n)" >&2
		gzip -6 -n -c "$PLAIN" >"$RUN/gz.tmp"
		mv "$RUN/gz.tmp" "$GZ"
	fi
}

# ---- csv: the staged CSV layer (etl/csvio.h) -------------------------------

bench_csv() {
	gen_contacts_data
	plain=$(size_of "$PLAIN")
	gz=$(size_of "$GZ")
	size="$(human "$plain") (gz $(human "$gz"))"

	# read: decompress and parse every record, touching every field,
	# against decompressing alone
	if measure zcat "zcat '$GZ' >/dev/null" &&
	   { pw=$M_WALL; pc=$M_CPU; pr=$M_RSS; } &&
	   measure csv_read "'$TOOLS/csvbench' read '$GZ'"; then
		ow=$M_WALL
		orss=$M_RSS
		ratio=$(fmt '%.2f' "int($pw / $ow * 100) / 100")
		mib=$(fmt '%.1f' "int($orss / 1024 * 10) / 10")
		printf '%-10s %s  zcat %.2f s %.0f MB/s  crmsync %.2f s %.0f MB/s  speed ratio %s (target >= 0.50)  peak RSS %s MiB (target < 64; zcat %.1f MiB)\n' \
			"csv read" "$size" "$pw" "$(fmt '%f' "$plain / 1e6 / $pw")" \
			"$ow" "$(fmt '%f' "$plain / 1e6 / $ow")" "$ratio" \
			"$mib" "$(fmt '%f' "$pr / 1024")"
		echo "           cpu (user + sys): zcat $pc s, crmsync $M_CPU s"
		starved zcat "$pw" "$pc"
		rows=$(sed -n 's/^rows \([0-9]*\) .*/\1/p' "$RUN/csv_read.out")
		if [ "$rows" != "$BENCH_ROWS" ]; then
			verdict ERROR "csv read: $rows records read, $BENCH_ROWS expected"
		fi
		check "csv read speed ratio" "$ratio" ">=" 0.50
		check "csv read peak RSS MiB" "$mib" "<" 64
	fi

	# write: ours builds the rows in memory and writes them through
	# csvw_row() to a committed file; the peer compresses the same
	# bytes from the page cache into a file next to it
	if measure gzip6 "gzip -6 -n -c '$PLAIN' >'$RUN/peer.csv.gz'" &&
	   { pw=$M_WALL; pc=$M_CPU; pr=$M_RSS; } &&
	   measure csv_write "'$TOOLS/csvbench' write --seed $BENCH_SEED $BENCH_ROWS '$RUN/ours.csv.gz'"; then
		ow=$M_WALL
		oc=$M_CPU
		orss=$M_RSS
		ratio=$(fmt '%.2f' "int($pw / $ow * 100) / 100")
		mib=$(fmt '%.1f' "int($orss / 1024 * 10) / 10")
		printf '%-10s %s  gzip-6 %.2f s %.0f MB/s  crmsync %.2f s %.0f MB/s  speed ratio %s (target >= 0.80)  peak RSS %s MiB (target < 64; gzip-6 %.1f MiB)\n' \
			"csv write" "$size" "$pw" "$(fmt '%f' "$plain / 1e6 / $pw")" \
			"$ow" "$(fmt '%f' "$plain / 1e6 / $ow")" "$ratio" \
			"$mib" "$(fmt '%f' "$pr / 1024")"
		check "csv write speed ratio" "$ratio" ">=" 0.80
		check "csv write peak RSS MiB" "$mib" "<" 64
		echo "           cpu (user + sys): gzip-6 $pc s, crmsync $oc s"
		starved gzip-6 "$pw" "$pc"
		csv_write_notes
	fi
}

# What the write time holds besides compressing, and whether the rows are
# the ones gen_contacts prints.
csv_write_notes() {
	_ours=$(size_of "$RUN/ours.csv.gz")
	_peer=$(size_of "$RUN/peer.csv.gz")
	_reps=$BENCH_REPS
	BENCH_REPS=1
	_gen=""
	_sync=""
	if measure csv_gen "'$TOOLS/csvbench' gen --seed $BENCH_SEED $BENCH_ROWS"; then
		_gen=$M_WALL
	fi
	# a fresh copy: the peer's output itself may be flushed by now
	cp "$RUN/peer.csv.gz" "$RUN/fsync.tmp"
	if measure fsync "sync '$RUN/fsync.tmp'" 2>/dev/null; then
		_sync=$M_WALL
	fi
	rm -f "$RUN/fsync.tmp"
	BENCH_REPS=$_reps
	printf '           output %s (gzip-6 %s); crmsync time includes building the rows (%s s) and fsync (a sync of the gzip output takes %s s)\n' \
		"$(human "$_ours")" "$(human "$_peer")" \
		"$(fmt '%.2f' "${_gen:-0}")" "$(fmt '%.2f' "${_sync:-0}")"

	if zcat "$RUN/ours.csv.gz" | cmp -s - "$PLAIN"; then
		echo "           written file decompresses to the bytes gen_contacts printed"
	elif [ -n "$_gen" ] &&
	     "$TOOLS/csvbench" read "$RUN/ours.csv.gz" >"$RUN/csv_check.out" 2>&1 &&
	     [ "$(sed 's/.*digest //' "$RUN/csv_check.out")" = \
	       "$(sed 's/.*digest //' "$RUN/csv_gen.out")" ]; then
		echo "           written file holds the rows of gen_contacts (quoted differently)"
	else
		verdict ERROR "csv write: the written file does not hold the generated rows"
	fi
}

# ---- main ------------------------------------------------------------------

for t in peakrss gen_contacts csvbench; do
	[ -x "$TOOLS/$t" ] || die "missing $TOOLS/$t: run 'make' first"
done
case $BENCH in
all) run=$SECTIONS ;;
*) run=$(echo "$BENCH" | tr ',' ' ') ;;
esac
for s in $run; do
	case " $SECTIONS " in
	*" $s "*) ;;
	*) echo "bench: unknown section '$s' (known: $SECTIONS)" >&2; exit 64 ;;
	esac
done
mkdir -p "$DATA"

# Two runs at once would time each other: the second one waits.  flock(1)
# is util-linux; without it, runs are not serialised.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$DATA/.lock"
	if ! flock -n 9; then
		echo "bench: waiting for another benchmark run to finish" >&2
		flock 9
	fi
fi

# This run's outputs (logs, written files) go to $RUN.  It is removed at
# the end unless a command failed; then its logs are worth reading.
RUN="$DATA/run.$$"
rm -rf "$RUN"
mkdir "$RUN"
cleanup() {
	if [ "$ERRORS" -eq 0 ]; then
		rm -rf "$RUN"
	else
		echo "bench: the logs are in $RUN" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

echo "crmsync benchmarks: $BENCH_ROWS rows, best of $BENCH_REPS," \
	"$(nproc) CPU $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
	"load average $(cut -d' ' -f1 /proc/loadavg)"
for s in $run; do
	echo "== $s" >&2
	"bench_$s"
done

if [ -n "$NOISY" ]; then
	echo "warning: the single-threaded peers ($NOISY) took more than 1.15x" \
		"their CPU time in wall time: other processes competed for the" \
		"CPUs and the ratios are noisy (compare the cpu lines)"
fi
echo
printf '%s' "$VERDICTS"
[ "$ERRORS" -eq 0 ] || exit 1
exit 0
