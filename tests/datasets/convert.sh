#!/bin/sh
# convert.sh - turn the public benchmark sets into a CRM org, a directory and
# a truth file, laid out like gen_org's output, for the match stage.
#
#   tests/datasets/convert.sh [--datasets DIR] [--out DIR] [febrl4|restaurants|all]
#
#   --datasets  the folder of ../shared/datasets (default: ../shared/datasets
#               relative to the repository root)
#   --out       where to write (default: build/datasets); each set goes to
#               OUT/<set>/{org,directory,truth.csv}
#
# POSIX sh + awk + gzip only.  Column lists are read from schemas/, so the
# files always carry the exact schema columns in schema order (IsDeleted
# last for the Salesforce objects).  Output is deterministic: the same input
# gives the same bytes (gzip -n).  See tests/datasets/README.md for the
# field mappings and what each set loses on the way.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
datasets="$root/../shared/datasets"
out="$root/build/datasets"
what=all

while [ $# -gt 0 ]; do
	case $1 in
	--datasets) datasets=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	febrl4|restaurants|all) what=$1; shift ;;
	*) echo "convert.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -d "$datasets" ] || { echo "convert.sh: no datasets folder '$datasets'" >&2; exit 1; }

# header GROUP NAME: the schema's field names, comma-separated
header() {
	awk '/^fields:/ { f = 1; next }
	     f && /^  - name: / { printf "%s%s", (n++ ? "," : ""), $3 }
	     END { print "" }' "$root/schemas/$1/$2.yaml"
}

# qheader GROUP NAME: the same, every name quoted (Bulk API results)
qheader() {
	header "$1" "$2" | awk -F, '{ for (i = 1; i <= NF; i++)
		printf "%s\"%s\"", (i > 1 ? "," : ""), $i; print "" }'
}

# empty_org DIR: header-only files for every object the converter leaves out
empty_org() {
	for o in Lead Contact Account Opportunity OpportunityContactRole User UserRole; do
		[ -f "$1/org/$o.csv" ] || qheader salesforce "$o" >"$1/org/$o.csv"
	done
	for o in members companies; do
		[ -f "$1/directory/$o.csv.gz" ] ||
			header directory "$o" | gzip -n >"$1/directory/$o.csv.gz"
	done
}

# The awk library shared by the converters:
#   sfid(prefix, n)  an 18-char Salesforce Id with the case-safe suffix
#   trim(s)          without surrounding blanks
#   put(cols, v)     prints a row in the order of the comma-separated cols
#                    from the array v (missing keys are empty); quote=1
#                    quotes every value, else only where needed
awklib='
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
function sfid(prefix, n,    b62, id, i, j, bits, c, up) {
	b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	id = ""
	for (i = 0; i < 9; i++) { id = substr(b62, n % 62 + 1, 1) id; n = int(n / 62) }
	id = prefix "5g0" id
	up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for (i = 0; i < 3; i++) {
		bits = 0
		for (j = 0; j < 5; j++) {
			c = substr(id, i * 5 + j + 1, 1)
			if (index(up, c)) bits += 2 ^ j
		}
		id = id substr("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", bits + 1, 1)
	}
	return id
}
function q(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
function mq(s) { if (s ~ /[,"\r\n]/) return q(s); return s }
function put(cols, v, quote,    n, c, i, line) {
	n = split(cols, c, ",")
	line = ""
	for (i = 1; i <= n; i++)
		line = line (i > 1 ? "," : "") (quote ? q(v[c[i]]) : mq(v[c[i]]))
	print line
	for (i in v) delete v[i]
}
'

# ---- FEBRL4: dataset4a -> Contacts, dataset4b -> members ----------------
febrl4() {
	src="$datasets/febrl4"
	dst="$out/febrl4"
	rm -rf "$dst"
	mkdir -p "$dst/org" "$dst/directory"
	ccols=$(header salesforce Contact)
	mcols=$(header directory members)
	qheader salesforce Contact >"$dst/org/Contact.csv"
	awk -F, -v cols="$ccols" -v idsa="$dst/.ids_a" "$awklib"'
	NR == 1 { next }
	{
		for (i = 1; i <= NF; i++) $i = trim($i)
		n = NR - 1
		v["Id"] = sfid("003", n)
		v["FirstName"] = $2
		v["LastName"] = $3
		v["Name"] = $2 ($2 != "" && $3 != "" ? " " : "") $3
		street = $4 ($4 != "" && $5 != "" ? " " : "") $5
		if ($6 != "") street = street (street != "" ? ", " : "") $6
		v["MailingStreet"] = street
		v["MailingCity"] = $7
		v["MailingState"] = $9 ($9 != "" && $8 != "" ? " " : "") $8
		v["MailingCountry"] = "Australia"
		v["CreatedDate"] = "2026-01-01T00:00:00.000Z"
		v["LastModifiedDate"] = "2026-11-01T00:00:00.000Z"
		v["IsDeleted"] = "false"
		put(cols, v, 1)
		split($1, r, "-")
		print "Contact," sfid("003", n) "," r[2] >idsa
	}' "$src/dataset4a.csv" >>"$dst/org/Contact.csv"
	{
		echo "$mcols"
		awk -F, -v cols="$mcols" -v idsb="$dst/.ids_b" "$awklib"'
		NR == 1 { next }
		{
			for (i = 1; i <= NF; i++) $i = trim($i)
			id = sprintf("F%05d", NR - 1)
			v["MemberId"] = id
			v["FirstName"] = $2
			v["LastName"] = $3
			v["City"] = $7
			v["State"] = $9 ($9 != "" && $8 != "" ? " " : "") $8
			v["Country"] = "Australia"
			v["ProfileUrl"] = "https://directory.example/in/febrl-" (NR - 1)
			put(cols, v, 0)
			split($1, r, "-")
			print r[2] "," id >idsb
		}' "$src/dataset4b.csv"
	} | gzip -n >"$dst/directory/members.csv.gz"
	{
		echo "CrmObject,CrmId,TargetId,Kind,Notes"
		awk -F, 'NR == FNR { m[$1] = $2; next }
			 ($3 in m) { print $1 "," $2 "," m[$3] ",match,febrl4-rec-" $3 }' \
			"$dst/.ids_b" "$dst/.ids_a"
	} >"$dst/truth.csv"
	rm -f "$dst/.ids_a" "$dst/.ids_b"
	empty_org "$dst"
	echo "febrl4: $(($(wc -l <"$dst/org/Contact.csv") - 1)) Contacts," \
	     "$(($(gzip -dc "$dst/directory/members.csv.gz" | wc -l) - 1)) members," \
	     "$(($(wc -l <"$dst/truth.csv") - 1)) true links -> $dst" >&2
}

# ---- Fodors-Zagats: fodors -> Accounts, zagats -> company pages ----------
restaurants() {
	src="$datasets/restaurants"
	dst="$out/restaurants"
	rm -rf "$dst"
	mkdir -p "$dst/org" "$dst/directory"
	acols=$(header salesforce Account)
	ccols=$(header directory companies)
	qheader salesforce Account >"$dst/org/Account.csv"
	awk -F, -v cols="$acols" "$awklib"'
	NR == 1 { next }
	{
		for (i = 1; i <= NF; i++) $i = trim($i)
		v["Id"] = sfid("001", $1)
		v["Name"] = $2
		v["BillingStreet"] = $3
		v["BillingCity"] = $4
		v["Phone"] = $5
		v["Industry"] = $6
		v["CreatedDate"] = "2026-01-01T00:00:00.000Z"
		v["LastModifiedDate"] = "2026-11-01T00:00:00.000Z"
		v["IsDeleted"] = "false"
		put(cols, v, 1)
	}' "$src/fodors.csv" >>"$dst/org/Account.csv"
	{
		echo "$ccols"
		awk -F, -v cols="$ccols" "$awklib"'
		NR == 1 { next }
		{
			for (i = 1; i <= NF; i++) $i = trim($i)
			v["CompanyPageId"] = "Z" $1
			v["Name"] = $2
			v["Street"] = $3
			v["City"] = $4
			v["Phone"] = $5
			v["Industry"] = $6
			v["PageUrl"] = "https://directory.example/company/zagat-" $1
			put(cols, v, 0)
		}' "$src/zagats.csv"
	} | gzip -n >"$dst/directory/companies.csv.gz"
	{
		echo "CrmObject,CrmId,TargetId,Kind,Notes"
		awk -F, "$awklib"'
		NR == 1 { next }
		{ print "Account," sfid("001", trim($1)) ",Z" trim($2) ",match,fodors-" trim($1) "-zagats-" trim($2) }' \
			"$src/matches_fodors_zagats.csv"
	} >"$dst/truth.csv"
	empty_org "$dst"
	echo "restaurants: $(($(wc -l <"$dst/org/Account.csv") - 1)) Accounts," \
	     "$(($(gzip -dc "$dst/directory/companies.csv.gz" | wc -l) - 1)) pages," \
	     "$(($(wc -l <"$dst/truth.csv") - 1)) true links -> $dst" >&2
}

case $what in
febrl4) febrl4 ;;
restaurants) restaurants ;;
all) febrl4; restaurants ;;
esac
