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
