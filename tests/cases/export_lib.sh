# export_lib.sh - helpers for the export cases (sourced after lib.sh).

# wb_job OUT.yaml STAGING [ACTIVITIES] [TYPES]: a job on the emulator
# (see sf_job) writing back the demo directory's activities (or
# ACTIVITIES) for the users of seed.sql, types TYPES (default all).
wb_job() {
	sf_job "$1" demo "$2"
	cat >>"$1" <<YAML
objects: [User]
directory:
  seats: $ROOT/tests/fixtures/demo/directory/seats.csv.gz
  activities: ${3:-$ROOT/tests/fixtures/demo/directory/activities.csv.gz}
writeback:
  enabled: true
  users: [ana.souza@kestrel-analytics.example, robert.chen@kestrel-analytics.example,
          0055g00000I7zXhAAJ, priya.nair@kestrel-analytics.example,
          mei.tanaka@kestrel-analytics.example, marcus.bell@kestrel-analytics.example,
          daniel.ortega@kestrel-analytics.example]
  types: [${4:-InMail, Message, Call, Note, PointDrive}]
  record_type_ids:
    InMail: 012000000000001AAA
    Message: 012000000000002AAA
    Call: 012000000000003AAA
    PointDrive: 012000000000004AAA
  external_id_field: Crmsync_Activity_Id__c
YAML
}

# wb_seed JOB.yaml STAGING: creates the job's store (one export cycle
# with nothing mapped yet) and seeds it with the seat map, CRM users and
# links of tests/cases/export_seed.sql, as the load stage leaves them.
wb_seed() {
	"$CRMSYNC" -q export "$1" >/dev/null 2>&1
	sqlite3 "$2/demo/state/store.db" <"$ROOT/tests/cases/export_seed.sql"
}

# wb_records OBJ: the emulator's OBJ records as CSV lines of FIELDS...
wb_records() {
	obj=$1
	shift
	emu_control GET "/records/$obj" | node -e '
		const f = process.argv.slice(1);
		let s = ""; process.stdin.on("data", (d) => s += d);
		process.stdin.on("end", () => { for (const r of JSON.parse(s))
			console.log(f.map((k) => JSON.stringify(r[k] === undefined ? null : r[k])).join(",")); });' "$@" | sort
}
