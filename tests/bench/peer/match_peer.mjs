/*
 * match_peer.mjs - the DuckDB peer of the match benchmark (issue 4, "a
 * peer side by side"): crmsync's people model written as DuckDB SQL and
 * run in-process with @duckdb/node-api.
 *
 *	node match_peer.mjs --job JOB.yaml --org DIR --members FILE
 *	                    --companies FILE --data DIR --out FILE
 *	                    [--threads N] [--truth FILE]
 *
 * With --truth (gen_org's truth.csv), it also counts the true pairs
 * (Kind match, of Leads and Contacts on both sides) among the pairs its
 * blocking kept: the blocking's pairs completeness, which crmsync shares
 * when both score the same pairs (the bench checks the counts).
 *
 * It reads the same files crmsync reads: the fixture org's Lead.csv,
 * Contact.csv and Account.csv (Contacts get their company through
 * Account.Name, their employer's domain through Account.Website), the
 * directory's members.csv(.gz) and companies.csv(.gz) (a profile's
 * employer's domain is its company page's Website; its previous
 * employer, when the job has previous_company, is PreviousCompanyName,
 * compared with the CRM record's company), and the tables of data/
 * (nicknames, city aliases, legal forms, noise words, personal mail
 * domains, public suffixes, countries).  From JOB it takes
 * match.people's threshold, prior, exclusive, max_block_pairs,
 * candidate_floor, its
 * blocking rules (keys among the columns the SQL computes, crossed or
 * not) and every comparison's levels, weights (log2(m/u)),
 * term_frequency, term_frequency_given and implied_by; the fields and
 * the comparison methods are written in SQL below (previous_company
 * optional, the others required), and the script stops with an error
 * when the job asks for other ones (or has a key it does not know), so
 * the two sides never silently diverge.
 *
 * Pipeline, all of it SQL except the loop that drives one-to-one rounds:
 *   1. normalise both sides once (fold, names in other scripts
 *      romanised by ICU (uconv), nicknames, city aliases, email, E.164
 *      phone, company legal forms (of current and previous employers),
 *      employer domains (of websites and work addresses), country
 *      codes, Double Metaphone keys of the distinct names (metaphone.mjs,
 *      crmsync's code), the script of names, cities and titles, state
 *      codes), and count the terms of the comparisons with
 *      term_frequency on the directory side (and the pairs of values of
 *      term_frequency_given);
 *   2. blocking: each rule's key hashed (both names in byte order, so
 *      swapped names meet; a crossed rule files each CRM record under
 *      its names crossed too), blocks over max_block_pairs dropped, the
 *      union of the rules as equi-joins, pairs deduped;
 *   3. scoring: the prior log-odds plus the Fellegi-Sunter level weights
 *      (term-frequency weights for equal values, values that cannot be
 *      compared as missing, a romanised name (not Cyrillic or Greek)
 *      that disagrees with a Latin one as missing too, a first name
 *      given as an initial by its initial only), implied_by and
 *      term_frequency_given applied to the
 *      sum, names also tried crossed (kept when better); each CRM
 *      record's top 3 pairs at the candidate floor (no higher than the
 *      threshold) and its pairs at the threshold kept;
 *   4. rivals (exclusive): each of those pairs weighed against the
 *      record's other top candidates, -log2(1 + sum of 2^score), and
 *      held to the threshold again;
 *   5. one-to-one: greedy by (score desc, CrmId, MemberId), computed as
 *      rounds of "locally dominant" pairs (the best edge of both its CRM
 *      record and its profile under that total order), which gives the
 *      same matching as the sequential greedy loop;
 *   6. the links, sorted, to FILE as CSV (CrmObject, CrmId, MemberId,
 *      Score): a file tests/tools/linkeval reads.
 *
 * Prints one "key value" line per figure on stdout (records, candidate
 * pairs, pairs at or above the threshold before and after the rivals,
 * links, blocks skipped and the pairs they held, the prior, rounds,
 * seconds per phase).  MATCH_PEER_CANDIDATES=FILE also writes every CRM
 * record's top 3 candidates with their scores, MATCH_PEER_TRACE=1 the
 * time of each statement on stderr.  Exit 0, or 1 with a message on
 * stderr.  The simplifications against etl/norm.c and etl/sim.c are
 * listed in tests/bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { dmPrimary } from './metaphone.mjs';

function die(msg) {
	process.stderr.write(`match_peer: ${msg}\n`);
	process.exit(1);
}

/* ---- arguments ------------------------------------------------------------ */

const opt = { threads: 0 };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	const v = process.argv[i + 1];
	const key = { '--job': 'job', '--org': 'org', '--members': 'members',
		'--data': 'data', '--out': 'out', '--threads': 'threads',
		'--truth': 'truth', '--companies': 'companies' }[a];
	if (!key || v === undefined)
		die(`usage: match_peer.mjs --job JOB --org DIR --members FILE --companies FILE --data DIR --out FILE [--threads N] [--truth FILE] (at '${a}')`);
	opt[key] = key === 'threads' ? Number(v) : v;
	i++;
}
for (const k of ['job', 'org', 'members', 'companies', 'data', 'out'])
	if (!opt[k])
		die(`--${k} is required`);

/* ---- the model: match.people of the job file ------------------------------ */

/*
 * A reader for the one shape the job files use for a model (block YAML
 * with flow mappings for levels), enough to take the numbers from the
 * file crmsync reads instead of copying them here.  Keys it does not
 * know stop it: a model it would read wrongly is an error, not a
 * silently different benchmark.
 */
function readPeopleModel(file) {
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	const indent = (l) => l.length - l.trimStart().length;
	const flow = (s, where) => {
		const m = s.match(/^\{(.*)\}$/);
		if (!m)
			die(`${where}: expected a {key: value} mapping, got '${s}'`);
		const o = {};
		for (const kv of m[1].split(',')) {
			const [k, v] = kv.split(':').map((x) => x.trim());
			if (!['min', 'max_distance', 'm', 'u', 'weight'].includes(k) ||
			    !Number.isFinite(Number(v)))
				die(`${where}: unexpected '${kv.trim()}' in a level`);
			o[k] = Number(v);
		}
		return o;
	};
	const weight = (o, where) => {
		if ('weight' in o)
			return o.weight;
		if (!('m' in o) || !('u' in o))
			die(`${where}: a level needs weight or m and u`);
		return Math.log2(o.m / o.u);
	};
	let i = lines.findIndex((l) => /^match:\s*$/.test(l));
	if (i < 0)
		die(`${file}: no match section`);
	i = lines.findIndex((l, k) => k > i && /^\s+people:\s*$/.test(l));
	if (i < 0)
		die(`${file}: no match.people model`);
	const base = indent(lines[i]);
	const model = { threshold: null, prior: 'auto', maxBlockPairs: 10000,
		candidateFloor: -14, exclusive: null, fields: {}, blocking: [],
		comparisons: {} };
	let section = '', cmp = null, field = null;
	for (i++; i < lines.length; i++) {
		const raw = lines[i].replace(/\s+#.*$/, '');
		if (!raw.trim())
			continue;
		const ind = indent(raw);
		const t = raw.trim();
		const where = `${file}:${i + 1}`;
		if (ind <= base)
			break;
		if (ind === base + 2) {
			const m = t.match(/^(\w+):\s*(.*)$/);
			if (!m)
				die(`${where}: unexpected '${t}'`);
			section = m[1];
			if (section === 'threshold') {
				model.threshold = Number(m[2]);
				if (!Number.isFinite(model.threshold))
					die(`${where}: threshold '${m[2]}' is not a number`);
			} else if (section === 'prior') {
				const p = m[2].replace(/^"|"$/g, '');
				if (p === 'auto' || p === 'none')
					model.prior = p;
				else if (Number(p) >= 1e-15 && Number(p) <= 0.5)
					model.prior = Number(p);
				else
					die(`${where}: prior must be auto, none or a probability in [1e-15, 0.5], got '${p}'`);
			} else if (section === 'max_block_pairs') {
				model.maxBlockPairs = Number(m[2]);
				if (!Number.isSafeInteger(model.maxBlockPairs) ||
				    model.maxBlockPairs < 0)
					die(`${where}: max_block_pairs '${m[2]}' is not a count`);
			} else if (section === 'candidate_floor') {
				model.candidateFloor = Number(m[2]);
				if (!Number.isFinite(model.candidateFloor))
					die(`${where}: candidate_floor '${m[2]}' is not a number`);
			} else if (section === 'exclusive') {
				if (!/^(true|false)$/.test(m[2]))
					die(`${where}: exclusive must be true or false, got '${m[2]}'`);
				model.exclusive = m[2] === 'true';
			} else if (!['fields', 'blocking', 'comparisons'].includes(section)) {
				die(`${where}: the peer does not implement match.people.${section}`);
			}
			continue;
		}
		if (section === 'fields') {
			/* field: {Object: Field, ...}, or field: and then
			 * that mapping on the next line (too long for one),
			 * or one "Object: Field" line per object, read as
			 * the same flow mapping */
			const m = t.match(/^(\w+):\s*(\{.*\})?$/);
			const o = t.match(/^(\w+):\s*(\S.*)$/);
			if (m && ind === base + 4) {
				field = m[1];
				model.fields[field] = m[2] ? m[2].replace(/\s+/g, '') : '{}';
			} else if (/^\{.*\}$/.test(t) && ind === base + 6 && field &&
				   model.fields[field] === '{}') {
				model.fields[field] = t.replace(/\s+/g, '');
			} else if (o && ind === base + 6 && field &&
				   model.fields[field].endsWith('}')) {
				const f = model.fields[field];
				model.fields[field] = `${f.slice(0, -1)}${f.length > 2 ? ',' : ''}${o[1]}:${o[2].replace(/\s+/g, '')}}`;
			} else {
				die(`${where}: expected 'field: {Object: Field, ...}', got '${t}'`);
			}
		} else if (section === 'blocking') {
			/* - key, - [key, ...] or - {keys: [key, ...], crossed: B} */
			const m = t.match(/^-\s*\{\s*keys:\s*\[(.*)\]\s*(?:,\s*crossed:\s*(true|false)\s*)?\}$/) ||
				t.match(/^-\s*\[(.*)\]$/) || t.match(/^-\s+([^\s{[].*)$/);
			if (!m)
				die(`${where}: expected a blocking rule, got '${t}'`);
			model.blocking.push({ keys: m[1].split(',').map((x) =>
				x.trim().replace(/^"|"$/g, '')),
				crossed: m[2] === 'true', where });
		} else if (section === 'comparisons') {
			let m;
			if (ind === base + 4 && (m = t.match(/^(\w+):\s*$/))) {
				cmp = { method: null, levels: [], else: 0,
					missing: 0, tf: false };
				model.comparisons[m[1]] = cmp;
			} else if (!cmp) {
				die(`${where}: unexpected '${t}'`);
			} else if ((m = t.match(/^method:\s*(\w+)$/))) {
				cmp.method = m[1];
			} else if ((m = t.match(/^term_frequency:\s*(true|false)$/))) {
				cmp.tf = m[1] === 'true';
			} else if ((m = t.match(/^term_frequency_given:\s*(\w+)$/))) {
				cmp.tfGiven = m[1];
				cmp.tfGivenWhere = where;
			} else if ((m = t.match(/^implied_by:\s*(\w+)$/))) {
				cmp.impliedBy = m[1];
				cmp.impliedWhere = where;
			} else if ((m = t.match(/^-\s*(\{.*\})$/))) {
				const o = flow(m[1], where);
				cmp.levels.push({ min: o.min,
					max: o.max_distance, m: o.m, u: o.u,
					mu: !('weight' in o),
					w: weight(o, where), where });
			} else if ((m = t.match(/^else:\s*(\{.*\})$/))) {
				const o = flow(m[1], where);
				cmp.else = weight(o, where);
				cmp.elseLevel = { m: o.m, u: o.u,
					mu: !('weight' in o), w: cmp.else };
			} else if (/^train_without:\s*\w+$/.test(t)) {
				/* how `crmsync train` estimates m: no part
				 * of the score */
			} else if ((m = t.match(/^missing:\s*(\S+)$/))) {
				cmp.missing = Number(m[1]);
				if (!Number.isFinite(cmp.missing))
					die(`${where}: missing '${m[1]}' is not a number`);
			} else if (!/^levels:\s*$/.test(t)) {
				die(`${where}: unexpected '${t}'`);
			}
		} else {
			die(`${where}: unexpected '${t}'`);
		}
	}
	if (model.threshold === null)
		die(`${file}: match.people has no threshold`);
	for (const [f, c] of Object.entries(model.comparisons)) {
		if (!c.levels.length)
			die(`${file}: match.people.comparisons.${f} has no levels`);
		/* as job.c: the first level's u gives way to the value's
		 * frequency, so it needs m (and u), not a weight */
		if (c.tf && !(c.levels[0].m > 0))
			die(`${c.levels[0].where}: '${f}.term_frequency' needs m and u on the first level`);
		/* as job.c: the other comparison must exist; the peer also
		 * leaves out chains (a comparison implied by, or given, one
		 * that is itself implied) whose order crmsync's loops fix */
		for (const [k, at] of [['tfGiven', 'tfGivenWhere'], ['impliedBy', 'impliedWhere']]) {
			const g = c[k];
			if (g === undefined)
				continue;
			if (g === f || !(g in model.comparisons))
				die(`${c[at]}: '${f}' names '${g}', which is not another comparison`);
			if (model.comparisons[g].impliedBy !== undefined ||
			    (k === 'tfGiven' && c.impliedBy !== undefined))
				die(`${c[at]}: the peer does not implement '${f}' given or implied by a comparison that is implied itself`);
		}
		if (c.tfGiven !== undefined && !c.tf)
			die(`${c.tfGivenWhere}: '${f}.term_frequency_given' needs 'term_frequency: true'`);
	}
	/* as job.c: exclusive by default when there is a prior, and only
	 * then */
	if (model.exclusive === true && model.prior === 'none')
		die(`${file}: match.people.exclusive weighs a pair's odds and needs a prior`);
	if (model.exclusive === null)
		model.exclusive = model.prior !== 'none';
	return model;
}

const model = readPeopleModel(opt.job);

/*
 * What the SQL below implements; the job must ask for nothing else.  A
 * blocking key is one of these columns of the normalised records (the
 * email's is its hash, so clear and hashed addresses meet).
 */
const KEY_COLUMN = {
	email: 'ehash', phone: 'phone', first_name: 'fn', last_name: 'ln',
	title: 'title_n', company: 'company', domain: 'dom', city: 'city',
	state: 'state', country: 'country', 'first_name:phonetic': 'fn_ph',
	'last_name:phonetic': 'ln_ph', 'first_name:initial': 'fn_i',
	'last_name:initial': 'ln_i',
};
for (const r of model.blocking) {
	for (const k of r.keys)
		if (!(k in KEY_COLUMN))
			die(`${r.where}: the peer has no blocking key '${k}' ` +
			    `(it has ${Object.keys(KEY_COLUMN).join(', ')})`);
	const names = (n) => r.keys.some((k) => k.split(':')[0] === n);
	if (r.crossed && !(names('first_name') && names('last_name')))
		die(`${r.where}: a crossed rule must key on both first_name and last_name`);
}
const METHODS = {
	email: 'email', phone: 'phone', first_name: 'jaro_winkler',
	last_name: 'jaro_winkler', company: 'token_set',
	previous_company: 'token_set', domain: 'exact', title: 'token_set',
	city: 'exact', state: 'exact', country: 'exact',
};
/*
 * previous_company (a profile's employer before the current one) came
 * later than the others: a job may leave it out, field and comparison
 * both (crmsync needs the field for the comparison; the peer reads
 * PreviousCompanyName, which older directory files lack, only for it).
 */
const OPTIONAL = ['previous_company'];
const PREV = 'previous_company' in model.comparisons;
if (PREV !== ('previous_company' in model.fields))
	die(`${opt.job}: the peer takes previous_company as a field and a ` +
	    'comparison both, or neither');
for (const [f, m] of Object.entries(METHODS)) {
	const c = model.comparisons[f];
	if (!c && OPTIONAL.includes(f))
		continue;
	if (!c || c.method !== m)
		die(`${opt.job}: the peer compares ${f} with ${m}, the job ` +
		    `with ${c ? c.method : 'nothing'}`);
}
for (const f of Object.keys(model.comparisons))
	if (!(f in METHODS))
		die(`${opt.job}: the peer has no comparison for ${f}`);
/*
 * The columns the SQL reads for each canonical field (spaces removed),
 * in the order the job must list them.  previous_company reads the
 * company's columns on the CRM side (a CRM record knows one employer,
 * which may be the profile's previous one), so the SQL compares the CRM
 * record's company with the profile's previous company.
 */
const FIELDS = {
	first_name: '{Lead:FirstName,Contact:FirstName,members:FirstName}',
	last_name: '{Lead:LastName,Contact:LastName,members:LastName}',
	email: '{Lead:Email,Contact:Email,members:[Email,EmailSha256]}',
	phone: '{Lead:Phone,Contact:Phone,members:Phone}',
	title: '{Lead:Title,Contact:Title,members:Title}',
	company: '{Lead:Company,Contact:Account.Name,members:CompanyName}',
	previous_company: '{Lead:Company,Contact:Account.Name,members:PreviousCompanyName}',
	domain: '{Lead:[Website,Email],Contact:[Account.Website,Email],members:[CompanyPage.Website,Email]}',
	city: '{Lead:City,Contact:MailingCity,members:City}',
	state: '{Lead:State,Contact:MailingState,members:State}',
	country: '{Lead:Country,Contact:MailingCountry,members:Country}',
};
if (!PREV)
	delete FIELDS.previous_company;
if (JSON.stringify(model.fields) !== JSON.stringify(FIELDS))
	die(`${opt.job}: the peer reads the fields ${JSON.stringify(FIELDS)}, ` +
	    `the job maps ${JSON.stringify(model.fields)}`);

const num = (x) => {
	if (!Number.isFinite(x))
		die(`a weight is not finite: ${x}`);
	return x.toExponential(16); /* a DOUBLE literal, not a DECIMAL */
};

/*
 * The weight of comparison `f` as a SQL expression: `sim` is the
 * similarity expression, NULL when the values cannot be compared (a side
 * has none, two scripts, ...).  Levels are tried strictest first, as
 * crmsync's compare_values().  With `tf` (an expression: the weight
 * log2(m / term frequency) of the value) and `equal` (the two values
 * are the same), the first level weighs `tf` when the values are equal.
 */
function weightSql(f, sim, tf = null, equal = null) {
	const c = model.comparisons[f];
	/*
	 * DuckDB's jaro_winkler_similarity() adds the three Jaro terms in
	 * doubles where crmsync divides integers once, and can land one ulp
	 * under a level's bound ('ann' ~ 'a': 0.7999999999999999, crmsync
	 * 0.8).  Jaro-Winkler values of names are fractions with small
	 * denominators, never within 1e-9 of a bound without reaching it.
	 */
	const eps = c.method === 'jaro_winkler' ? 1e-9 : 0;
	let s = `CASE WHEN (${sim}) IS NULL THEN ${num(c.missing)}`;
	c.levels.forEach((l, k) => {
		if (l.min === undefined)
			die(`${f}: the peer takes levels with min only`);
		const min = num(l.min - eps);
		if (k === 0 && tf)
			s += ` WHEN (${sim}) >= ${min} AND (${equal}) THEN ${tf}`;
		s += ` WHEN (${sim}) >= ${min} THEN ${num(l.w)}`;
	});
	return `${s} ELSE ${num(c.else)} END`;
}

/* ---- the data tables ------------------------------------------------------ */

function dataLines(name) {
	const file = path.join(opt.data, name);
	return fs.readFileSync(file, 'utf8').split('\n')
		.map((l) => l.replace(/\r$/, ''))
		.filter((l) => l.trim() && !l.startsWith('#'));
}

/*
 * registrableDomain(): norm_domain() of etl/norm.c -- the host of a
 * website (scheme, user, port, path dropped; lower case; only letters,
 * digits, '-', '.' and non-ASCII), then its registrable domain: the
 * label before the longest multi-label public suffix of
 * data/public_suffixes.txt it ends with, else its last two labels.
 * null when there is no usable host.
 */
const publicSuffixes = new Set(dataLines('public_suffixes.txt')
	.map((l) => l.trim().toLowerCase()));

function registrableDomain(s) {
	let host = '';
	let digitsOnly = true;
	let p;

	s = s.replace(/^[ \t\n\r]+/, '');
	let from = 0;
	for (p = 0; p < s.length && p < 16; p++)
		if (p + 2 < s.length && s.startsWith('://', p)) {
			from = p + 3;
			break;
		}
	for (p = from; p < s.length && !'/?#'.includes(s[p]); p++)
		if (s[p] === '@')
			from = p + 1;
	const end = p;
	for (p = from; p < end && s[p] !== ':'; p++) {
		let c = s[p];
		if (' \t\r\n'.includes(c))
			break;
		if (c >= 'A' && c <= 'Z')
			c = c.toLowerCase();
		if (!/[a-z0-9.-]/.test(c) && c.charCodeAt(0) < 0x80)
			return null;
		host += c;
		if (Buffer.byteLength(host) > 253)
			return null;
		if (c !== '.' && !(c >= '0' && c <= '9'))
			digitsOnly = false;
	}
	host = host.replace(/\.+$/, '');
	if (!host || digitsOnly || host[0] === '.' || host.includes('..') ||
	    !host.includes('.') || publicSuffixes.has(host))
		return null;
	let prev = -1;
	for (let at = 0; ;) {
		if (prev >= 0 && publicSuffixes.has(host.slice(at)))
			return host.slice(prev);
		prev = at;
		const dot = host.indexOf('.', at);
		if (dot < 0)
			break;
		at = dot + 1;
	}
	const last = host.lastIndexOf('.');
	let q = last;
	while (q > 0 && host[q - 1] !== '.')
		q--;
	return host.slice(q);
}

/*
 * employerDomain(): crmsync's PREP_DOMAIN of a raw value -- an email
 * address that norm_email() takes (as the SQL of rec below reads it)
 * gives its domain, or nothing when a mailbox provider's (`personal`);
 * anything else is read as a website.
 */
function employerDomain(raw, personal) {
	if (raw.includes('@')) {
		let e = raw.trim().toLowerCase();
		if (e.endsWith('>')) {
			const m = /<([^<>]*)>$/.exec(e);
			e = m ? m[1] : '';
		}
		e = e.replace(/^mailto:/, '').replace(/\.+$/, '');
		if (/^[^\s()<>[\]:;,\\"@]{1,64}@[a-z0-9\u0080-\u{10FFFF}-]+(?:\.[a-z0-9\u0080-\u{10FFFF}-]+)+$/u.test(e) &&
		    e.length <= 254) {
			const dom = e.split('@')[1];
			return personal.test(dom) ? null : registrableDomain(dom);
		}
	}
	return registrableDomain(raw);
}

const q = (s) => `'${s.replace(/'/g, "''")}'`;
const values = (rows) => rows.map((r) => `(${r.map((v) =>
	typeof v === 'number' ? String(v) : q(v)).join(', ')})`).join(',\n');

/* ---- SQL ------------------------------------------------------------------ */

const t0 = Date.now();
let tPhase = t0;
let cPhase = process.cpuUsage();
const figures = [];
/* wall and CPU (user + sys, every thread) seconds since the last call */
function phase(name) {
	const now = Date.now();
	const cpu = process.cpuUsage(cPhase);
	figures.push([`seconds_${name}`, ((now - tPhase) / 1000).toFixed(2) +
		` cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)}`]);
	tPhase = now;
	cPhase = process.cpuUsage();
}

const BT = '`';
const instance = await DuckDBInstance.create(':memory:', opt.threads ?
	{ threads: String(opt.threads) } : {});
const con = await instance.connect();
/* runs SQL (one or more statements); MATCH_PEER_TRACE=1 prints the
 * time of each call and its first line on stderr */
const trace = process.env.MATCH_PEER_TRACE === '1';
async function run(sql) {
	const t = Date.now();

	await con.run(sql);
	if (trace)
		process.stderr.write(`${((Date.now() - t) / 1000).toFixed(2)}s ` +
			`${sql.trim().split('\n')[0].slice(0, 70)}\n`);
}
const all = async (sql) => (await con.runAndReadAll(sql)).getRowObjects();

/* mapTable(TABLE, [KEY, VALUE], KEYS, FN): TABLE(KEY, VALUE) holding, for
 * each of KEYS, what FN computes of it in JavaScript (NULL for nothing) */
async function mapTable(table, [key, value], keys, fn) {
	await run(`CREATE TABLE ${table}(${key} VARCHAR, ${value} VARCHAR);`);
	const ap = await con.createAppender(table);
	for (const k of keys) {
		const v = fn(k);

		ap.appendVarchar(k);
		if (v)
			ap.appendVarchar(v);
		else
			ap.appendNull();
		ap.endRow();
	}
	ap.closeSync();
}

/*
 * fold(): norm_fold() in SQL: lower case, accents stripped (and the
 * Latin letters without a separable accent spelled as ASCII), the
 * apostrophes dropped, every run of other non-letters, non-digits one
 * space.  fold_amp(): the same with "&" read as "and" (companies).
 */
await run(String.raw`
CREATE MACRO fold_pre(x) AS translate(replace(replace(replace(replace(
	lower(strip_accents(x)), 'æ', 'ae'), 'œ', 'oe'), 'ß', 'ss'), 'þ', 'th'),
	'øłđðıħ', 'olddih');
CREATE MACRO fold_post(x) AS nullif(trim(regexp_replace(
	regexp_replace(x, '[''${BT}´‘’ʼʹ＇]', '', 'g'),
	'[^\p{L}\p{N}]+', ' ', 'g')), '');
CREATE MACRO fold_any(x) AS CASE WHEN strlen(x) = length(x) THEN lower(x)
	ELSE fold_pre(x) END;
CREATE MACRO fold(x) AS fold_post(fold_any(x));
CREATE MACRO fold_amp(x) AS fold_post(replace(fold_any(x), '&', ' and '));
CREATE MACRO nz(x) AS nullif(trim(x), '');
CREATE MACRO tokens(x) AS list_distinct(string_split(x, ' '));
CREATE MACRO shared(a, b) AS len(list_filter(a, x -> list_contains(b, x)));
CREATE MACRO token_set(a, b) AS shared(a, b) / (len(a) + len(b) - shared(a, b));
CREATE MACRO chars(x) AS string_split(x, '');
CREATE MACRO cmap(x, u) AS array_to_string(list_transform(chars(x),
	ch -> chr(32 + list_position(u, ch)::INTEGER)), '');
CREATE MACRO cmap2(a, b, side) AS cmap(side,
	list_sort(list_distinct(chars(a) || chars(b))));
CREATE MACRO jw_any(a, b, ascii) AS CASE WHEN a = b THEN 1.0::DOUBLE
	WHEN ascii THEN jaro_winkler_similarity(a, b)
	ELSE jaro_winkler_similarity(cmap2(a, b, a), cmap2(a, b, b)) END;
CREATE MACRO jaro_any(a, b, ascii) AS CASE WHEN ascii
	THEN jaro_similarity(a, b)
	ELSE jaro_similarity(cmap2(a, b, a), cmap2(a, b, b)) END;
CREATE MACRO jw_fix(s, a, b, ascii) AS CASE WHEN s > 0.7::DOUBLE
	AND s <= ${num(0.82 + 1e-9)}
	AND abs(jaro_any(a, b, ascii) - 0.7::DOUBLE) < 1e-9::DOUBLE
	THEN 0.7::DOUBLE ELSE s END;
`);

/* aliasTable(FILE, TABLE): the lines of data/FILE, "kept,alias,...",
 * as TABLE(k, canon): a folded name -> the folded name kept for it, the
 * first of the first line that lists it (a kept name maps to itself
 * first).  Nicknames (a first name's first word -> its canonical name)
 * and city aliases (as norm_city()) both read this way. */
async function aliasTable(file, table) {
	const lines = dataLines(file).map((l) => l.split(','));
	const rows = lines.map((f) => [f[0], f[0]]);
	for (const f of lines)
		for (const alias of f.slice(1))
			rows.push([alias, f[0]]);
	rows.forEach((r, prio) => r.push(prio));
	await run(`CREATE TABLE ${table}_raw(k VARCHAR, canon VARCHAR, prio INTEGER);
		INSERT INTO ${table}_raw VALUES ${values(rows)};
		CREATE TABLE ${table} AS SELECT fold(k) AS k,
			arg_min(fold(canon), prio) AS canon
		FROM ${table}_raw WHERE fold(k) IS NOT NULL GROUP BY 1;`);
}
await aliasTable('nicknames.csv', 'nick');
await aliasTable('city_aliases.csv', 'calias');

/* countries: folded code or name -> ISO2, calling code, trunk prefix */
let ccCase;
let ccTrunk0;
{
	const rows = [];
	const first = new Map();
	let n = 0;
	for (const line of dataLines('countries.csv')) {
		const f = line.split(',');
		if (f.length < 5)
			continue;
		const [iso2, iso3, cc, trunk] = f;
		for (const k of [iso2, iso3, ...f.slice(4).join(',').split('|')])
			rows.push([k, iso2, cc, trunk, n++]);
		if (!first.has(cc))
			first.set(cc, trunk);
	}
	await run(`CREATE TABLE country_raw(k VARCHAR, iso2 VARCHAR,
			cc VARCHAR, trunk VARCHAR, prio INTEGER);
		INSERT INTO country_raw VALUES ${values(rows)};
		CREATE TABLE country AS SELECT fold(k) AS k,
			arg_min(iso2, prio) AS iso2, arg_min(cc, prio) AS cc,
			arg_min(trunk, prio) AS trunk
		FROM country_raw WHERE fold(k) IS NOT NULL GROUP BY 1;`);
	/* the length of the calling code a number starts with, shortest
	 * first as norm_phone() tries them */
	const byLen = [1, 2, 3].map((k) => [...first.keys()]
		.filter((c) => c.length === k).map(q).join(', ') || "''");
	ccCase = (d) => `CASE WHEN ${d}[1:1] IN (${byLen[0]}) THEN 1
		WHEN ${d}[1:2] IN (${byLen[1]}) THEN 2
		WHEN ${d}[1:3] IN (${byLen[2]}) THEN 3 END`;
	ccTrunk0 = [...first].filter(([, t]) => t === '0').map(([c]) => q(c))
		.join(', ');
}

/* company legal forms and noise words: one regular expression that
 * removes any run of them from the end, keeping the first word */
let companyRe;
{
	const phrases = [...dataLines('legal_forms.txt'),
		...dataLines('noise_words.txt')];
	await run(`CREATE TABLE phrase_raw(p VARCHAR);
		INSERT INTO phrase_raw VALUES ${values(phrases.map((p) => [p]))};`);
	const folded = (await all(`SELECT DISTINCT fold_amp(p) AS p FROM phrase_raw
		WHERE fold_amp(p) IS NOT NULL ORDER BY length(p) DESC, p`))
		.map((r) => r.p.replace(/[^\p{L}\p{N} ]/gu, ''));
	companyRe = `^(\\S.*?)(?: (?:${folded.join('|')}))*$`;
}

/* personal mailbox domains: exact (and their subdomains) and "name.*" */
let personalRe;
{
	const esc = (s) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
	const lines = dataLines('personal_email_domains.txt')
		.map((l) => l.trim().toLowerCase());
	const exact = lines.filter((l) => !l.endsWith('.*')).map(esc);
	const wild = lines.filter((l) => l.endsWith('.*'))
		.map((l) => esc(l.slice(0, -2)));
	personalRe = `(?:^|\\.)(?:${exact.join('|')})$|(?:^|\\.)(?:${wild.join('|')})\\.[a-z]+(?:\\.[a-z]+)?$`;
}

await run(`
CREATE MACRO company_norm(x) AS regexp_replace(
	regexp_replace(fold_amp(x), '^the (.)', '\\1'), ${q(companyRe)}, '\\1');
CREATE MACRO email_personal(dom) AS regexp_matches(dom, ${q(personalRe)});
`);

/*
 * script_of(): norm_script_of(), the writing system of a value's first
 * letter (0 none, 1 Latin, 2 Greek, 3 Cyrillic, 4 Hebrew, 5 Arabic,
 * 6 Indic, 7 Thai, 8 Hangul, 9 Han and kana, 10 other), by the same code
 * point ranges.  Names (and other text) in two scripts cannot be
 * compared: they count as missing.
 */
{
	const r = (a, b) => `(c >= ${a} AND c < ${b})`;
	await run(String.raw`
CREATE MACRO script_cp(c) AS CASE WHEN c < 0 THEN 0
	WHEN c < ${0x0370} OR ${r(0x1E00, 0x1F00)} OR (c >= ${0xFF21} AND c <= ${0xFF5A}) THEN 1
	WHEN c < ${0x0400} OR ${r(0x1F00, 0x2000)} THEN 2
	WHEN c < ${0x0530} THEN 3
	WHEN ${r(0x0590, 0x0600)} THEN 4
	WHEN ${r(0x0600, 0x0800)} OR ${r(0xFB50, 0xFF00)} THEN 5
	WHEN ${r(0x0900, 0x0D80)} THEN 6
	WHEN ${r(0x0E00, 0x0E80)} THEN 7
	WHEN ${r(0x1100, 0x1200)} OR ${r(0x3130, 0x3190)} OR ${r(0xAC00, 0xD7B0)} THEN 8
	WHEN ${r(0x3040, 0x3100)} OR ${r(0xFF66, 0xFFA0)} OR ${r(0x3400, 0xA000)}
	     OR ${r(0xF900, 0xFB00)} OR ${r(0x20000, 0x32000)} THEN 9
	ELSE 10 END;
CREATE MACRO script_of(x) AS script_cp(unicode(regexp_extract(x, '\p{L}')));
CREATE MACRO region_code(x) AS strlen(x) <= 3 AND NOT contains(x, ' ');
`);
}

/*
 * The weights: log2 in DuckDB (the C library's, as crmsync's) rather
 * than JavaScript's Math.log2, which can differ in the last bit; the
 * prior's odds the same way, below.
 */
{
	const ws = [];
	for (const c of Object.values(model.comparisons))
		for (const l of [...c.levels, c.elseLevel])
			if (l && l.mu)
				ws.push(l);
	if (ws.length) {
		const row = (await all(`SELECT [${ws.map((l) =>
			`log2(${num(l.m)} / ${num(l.u)})`).join(', ')}] AS w`))[0].w;
		const got = row.items ?? row;
		ws.forEach((l, k) => { l.w = Number(got[k]); });
		for (const c of Object.values(model.comparisons))
			if (c.elseLevel)
				c.else = c.elseLevel.w;
	}
}
phase('setup');

/* ---- records -------------------------------------------------------------- */

const csv = (f) => `read_csv(${q(f)}, header = true, all_varchar = true,
	delim = ',', quote = '"', escape = '"')`;
const org = (o) => path.join(opt.org, `${o}.csv`);
for (const o of ['Lead', 'Contact', 'Account'])
	if (!fs.existsSync(org(o)))
		die(`missing ${org(o)}`);

/*
 * raw: one row per CRM person and per profile, the fields as the job
 * maps them; `side` 0 is the CRM, 1 the directory.  Deleted records are
 * not in crmsync's mirror, and a converted lead is matched through its
 * contact.  `rid` numbers the profiles in file order from 1 (crmsync's
 * order of directory records, which breaks ties among a record's top
 * candidates; a table's rowid need not keep the file's order), the CRM
 * records below 0.  With previous_company, `prev` is the profile's
 * previous employer; a CRM record's is its company (FIELDS), which the
 * scoring reads from `company` instead of a copy.
 */
/* raw's column prev (`v`: its value in one of the SELECTs), only with
 * previous_company */
const prevCol = (v) => PREV ? `, ${v}` : '';
await run(`
CREATE TABLE raw AS
WITH acct AS (
	SELECT Id, nz(Name) AS Name, nullif(Website, '') AS Website
	FROM ${csv(org('Account'))}
	WHERE coalesce(IsDeleted, 'false') <> 'true'
), page AS (
	SELECT CompanyPageId AS pid, min(nullif(Website, '')) AS Website
	FROM ${csv(opt.companies)} WHERE nullif(CompanyPageId, '') IS NOT NULL
	GROUP BY 1
)
SELECT -ordinality::INTEGER AS rid, 0 AS side, 'Lead' AS obj, Id AS id,
	nz(FirstName) AS first,
	nz(LastName) AS last, nz(Email) AS email, NULL::VARCHAR AS email_sha,
	nz(Phone) AS phone, nz(Title) AS title, nz(Company) AS company,
	nz(City) AS city, nz(State) AS state, nz(Country) AS country,
	coalesce(nullif(Website, ''), nullif(Email, '')) AS dom
	${prevCol('NULL::VARCHAR AS prev')}
FROM ${csv(org('Lead'))} WITH ORDINALITY
WHERE coalesce(IsDeleted, 'false') <> 'true' AND nz(Id) IS NOT NULL
	AND NOT (coalesce(IsConverted, 'false') = 'true'
		 AND nz(ConvertedContactId) IS NOT NULL)
UNION ALL
SELECT -(c.ordinality + 1000000000)::INTEGER, 0, 'Contact', c.Id, nz(c.FirstName), nz(c.LastName), nz(c.Email),
	NULL, nz(c.Phone), nz(c.Title), a.Name, nz(c.MailingCity),
	nz(c.MailingState), nz(c.MailingCountry),
	coalesce(a.Website, nullif(c.Email, '')) ${prevCol('NULL')}
FROM ${csv(org('Contact'))} WITH ORDINALITY c LEFT JOIN acct a ON a.Id = c.AccountId
WHERE coalesce(c.IsDeleted, 'false') <> 'true' AND nz(c.Id) IS NOT NULL
UNION ALL
SELECT m.ordinality::INTEGER, 1, 'members', m.MemberId, nz(m.FirstName),
	nz(m.LastName), nz(m.Email), lower(nz(m.EmailSha256)), nz(m.Phone),
	nz(m.Title), nz(m.CompanyName), nz(m.City), nz(m.State), nz(m.Country),
	coalesce(p.Website, nullif(m.Email, ''))
	${prevCol('nz(m.PreviousCompanyName)')}
FROM ${csv(opt.members)} WITH ORDINALITY m
	LEFT JOIN page p ON p.pid = nullif(m.CompanyPageId, '')
WHERE nz(m.MemberId) IS NOT NULL;
`);
phase('read');

/*
 * rec: the normalised records.  The stages of the CTE are the steps of
 * etl/norm.c: the email (trimmed, lower case, "Name <addr>" and mailto:
 * unwrapped, +tag dropped, gmail dots removed) and its SHA-256 for
 * blocking (of the trimmed, lower-case address, as the directory hashes
 * it); the phone to E.164 with the record's country when it has no
 * international prefix; the first name to its canonical nickname.
 */
/*
 * Names, places, titles, companies and countries repeat a lot: each
 * distinct raw value is normalised once, in a dictionary joined back by
 * the raw value (as one would write it for DuckDB; crmsync normalises
 * every record).
 */
await run(`
CREATE TABLE dfold AS SELECT raw, n, script_of(n) AS sc FROM (
SELECT raw, fold(raw) AS n FROM (
	SELECT first AS raw FROM raw UNION SELECT last FROM raw
	UNION SELECT city FROM raw UNION SELECT state FROM raw)
WHERE raw IS NOT NULL);
CREATE TABLE dcity AS SELECT raw, n, script_of(n) AS sc FROM (
SELECT f.raw, coalesce(calias.canon, f.n) AS n
FROM dfold f LEFT JOIN calias ON calias.k = f.n);
CREATE TABLE dtitle AS SELECT raw, n, tokens(n) AS t, script_of(n) AS sc
FROM (SELECT raw, fold(raw) AS n FROM (
	SELECT DISTINCT title AS raw FROM raw WHERE title IS NOT NULL));
CREATE TABLE dcomp AS SELECT raw, n, tokens(n) AS t FROM (
	SELECT company AS raw, company_norm(company) AS n
	FROM (SELECT DISTINCT company FROM raw WHERE company IS NOT NULL
	      ${PREV ? 'UNION SELECT prev FROM raw WHERE prev IS NOT NULL' : ''}));
CREATE TABLE dcountry AS SELECT d.raw, c.iso2, c.cc, c.trunk,
	coalesce(c.iso2, fold(d.raw)) AS n
FROM (SELECT DISTINCT country AS raw FROM raw WHERE country IS NOT NULL) d
	LEFT JOIN country c ON c.k = fold(d.raw);
`);
/*
 * The employer's domain (crmsync's PREP_DOMAIN) of each distinct raw
 * value, in JavaScript (registrableDomain()): a work address's domain,
 * none for a mailbox provider's, or a website's registrable domain.
 */
{
	const personal = new RegExp(personalRe);
	const raws = await all(`SELECT DISTINCT dom AS raw FROM raw
		WHERE dom IS NOT NULL`);
	await mapTable('ddom', ['raw', 'n'], raws.map((r) => r.raw),
		(raw) => employerDomain(raw, personal));
}
/*
 * Names in other scripts romanised as crmsync's translit.c does: each
 * word of a folded name whose first letter is Greek, Cyrillic, Indic,
 * Thai, Hangul, Han or kana, or of another script that is not an abjad,
 * goes through ICU's transliterator with the same ID -- here through
 * uconv, ICU's own command-line tool (icu-devtools, which libicu-dev
 * brings), once per distinct word -- and loses its spaces; a word that
 * comes back not all ASCII stays as it was.  A name with a word
 * romanised is folded again and keeps, as sc, the script of its first
 * romanised word, with rom set (crmsync's META_ROMAN).
 */
{
	const words = await all(`SELECT w, script_of(w) AS sc FROM (
		SELECT DISTINCT unnest(string_split(n, ' ')) AS w FROM dfold
		WHERE strlen(n) <> length(n))
		WHERE script_of(w) IN (2, 3, 6, 7, 8, 9, 10) ORDER BY w`);
	/* word -> its romanisation and script */
	const roman = new Map();
	if (words.length) {
		const out = execFileSync('uconv', ['-x',
			'Russian-Latin/BGN; Any-Latin; Latin-ASCII'], {
			input: words.map((r) => r.w).join('\n') + '\n',
			encoding: 'utf8', maxBuffer: 1 << 30 }).split('\n');
		words.forEach(({ w, sc }, k) => {
			const r = out[k].replaceAll(' ', '');
			if (/^[\x00-\x7f]*$/.test(r))
				roman.set(w, { r, sc: Number(sc) });
		});
	}
	await run('CREATE TABLE droman0(n VARCHAR, r VARCHAR, sc INTEGER);');
	const ap = await con.createAppender('droman0');
	for (const { n } of await all(`SELECT DISTINCT n FROM dfold
		WHERE strlen(n) <> length(n)`)) {
		let sc = 0;
		const r = n.split(' ').map((w) => {
			const x = roman.get(w);
			if (!x)
				return w;
			sc ||= x.sc;
			return x.r;
		});
		if (!sc)
			continue;
		ap.appendVarchar(n);
		ap.appendVarchar(r.join(' '));
		ap.appendInteger(sc);
		ap.endRow();
	}
	ap.closeSync();
}
await run(`
CREATE TABLE droman AS SELECT n, fold(r) AS r, sc FROM droman0;
CREATE TABLE dlast AS SELECT f.raw, coalesce(ro.r, f.n) AS n,
	coalesce(ro.sc, f.sc) AS sc, ro.n IS NOT NULL AS rom
FROM dfold f LEFT JOIN droman ro ON ro.n = f.n;
CREATE TABLE dfirst AS SELECT raw, n,
	CASE WHEN rom THEN rsc ELSE script_of(n) END AS sc, rom FROM (
SELECT f.raw, coalesce(nick.canon, f.n) AS n, f.sc AS rsc, f.rom
FROM dlast f LEFT JOIN nick ON nick.k = split_part(f.n, ' ', 1));
`);
/*
 * phon: the phonetic key of every distinct folded name, crmsync's
 * primary Double Metaphone code computed in JavaScript (DuckDB has no
 * phonetic function; Splink's users compute such keys before the SQL
 * too), NULL when a name has no Latin letter.
 */
{
	const names = await all(`SELECT v FROM (SELECT n AS v FROM dfirst
		UNION SELECT n FROM dlast) WHERE v IS NOT NULL`);
	await mapTable('phon', ['v', 'code'], names.map((r) => r.v), dmPrimary);
}
await run(String.raw`
CREATE TABLE rec AS
WITH r1 AS (
	SELECT r.side, r.obj, r.id, r.email, r.email_sha,
		r.rid, lf.code AS ln_ph, ff.code AS fn_ph,
		c.iso2, c.cc, c.trunk, c.n AS country,
		fi.n AS fn, la.n AS ln, ci.n AS city, st.n AS state,
		ti.t AS title_t, co.n AS company, co.t AS company_t,
		${PREV ? 'pc.n AS pcompany, pc.t AS pcompany_t,' : ''}
		ti.n AS title_n, dm.n AS dom, fi.sc AS fn_sc, la.sc AS ln_sc,
		fi.rom AS fn_rom, la.rom AS ln_rom,
		ci.sc AS city_sc, ti.sc AS title_sc,
		region_code(st.n) AS state_code,
		lower(trim(r.email)) AS e0,
		regexp_replace(regexp_replace(regexp_replace(trim(r.phone),
			'^(?i)tel:', ''),
			'(?i)(?:#|;|,|(?:extension|ext|poste|durchwahl|dw|x)(?:[^a-z]|$)).*$',
			''), '\(0\)', '', 'g') AS p0
	FROM raw r LEFT JOIN dcountry c ON c.raw = r.country
		LEFT JOIN dfirst fi ON fi.raw = r.first
		LEFT JOIN dlast la ON la.raw = r.last
		LEFT JOIN dcity ci ON ci.raw = r.city
		LEFT JOIN dfold st ON st.raw = r.state
		LEFT JOIN dtitle ti ON ti.raw = r.title
		LEFT JOIN dcomp co ON co.raw = r.company
		${PREV ? 'LEFT JOIN dcomp pc ON pc.raw = r.prev' : ''}
		LEFT JOIN ddom dm ON dm.raw = r.dom
		LEFT JOIN phon lf ON lf.v = la.n
		LEFT JOIN phon ff ON ff.v = fi.n
), r2 AS (
	SELECT *,
		regexp_replace(regexp_replace(
			CASE WHEN e0 LIKE '%>' THEN regexp_extract(e0, '<([^<>]*)>$', 1)
			     ELSE e0 END, '^mailto:', ''), '\.+$', '') AS e1,
		CASE WHEN regexp_full_match(trim(p0), '\+?[0-9 \t./()-]+')
		     THEN regexp_replace(p0, '[^0-9]', '', 'g') END AS pd,
		starts_with(trim(p0), '+') AS plus
	FROM r1
), r3 AS (
	SELECT *,
		CASE WHEN regexp_full_match(e1, '[^\s()<>\[\]:;,\\"@]{1,64}@[a-z0-9\x{80}-\x{10FFFF}-]+(?:\.[a-z0-9\x{80}-\x{10FFFF}-]+)+')
		          AND length(e1) <= 254
		     THEN e1 END AS e2,
		CASE WHEN pd = '' THEN NULL
		     WHEN plus THEN pd
		     WHEN cc = '1' AND starts_with(pd, '011') THEN pd[4:]
		     WHEN iso2 = 'AU' AND starts_with(pd, '0011') THEN pd[5:]
		     WHEN iso2 = 'JP' AND starts_with(pd, '010') THEN pd[4:]
		     WHEN starts_with(pd, '00') THEN pd[3:]
		     WHEN iso2 IS NULL AND starts_with(pd, '011') THEN pd[4:]
		END AS intl
	FROM r2
), r4 AS (
	SELECT *,
		CASE WHEN e2 IS NULL THEN NULL
		     ELSE regexp_replace(split_part(e2, '@', 1), '(.)\+.*$', '\1')
		END AS el0,
		split_part(e2, '@', 2) AS ed0,
		${ccCase('intl')} AS icl
	FROM r3
), r5 AS (
	SELECT *,
		CASE WHEN ed0 IN ('gmail.com', 'googlemail.com')
		     THEN nullif(replace(el0, '.', ''), '') ELSE el0 END AS el,
		CASE WHEN ed0 IN ('gmail.com', 'googlemail.com')
		     THEN 'gmail.com' ELSE ed0 END AS ed,
		CASE WHEN intl IS NOT NULL THEN
			CASE WHEN icl IS NOT NULL AND length(intl) > icl THEN
				intl[1:icl] END
		     ELSE cc END AS pcc,
		CASE WHEN intl IS NOT NULL THEN
			CASE WHEN icl IS NOT NULL AND length(intl) > icl THEN
				CASE WHEN intl[1:icl] IN (${ccTrunk0})
				          AND intl[icl + 1:icl + 1] = '0'
				     THEN intl[icl + 2:] ELSE intl[icl + 1:] END
			END
		     WHEN iso2 IS NOT NULL THEN
			CASE WHEN cc = '1' OR trunk = '8' THEN
				CASE WHEN trunk <> '' AND length(pd) = 11
				          AND pd[1:1] = trunk[1:1]
				     THEN pd[2:] ELSE pd END
			     WHEN trunk <> '' AND starts_with(pd, trunk)
			     THEN pd[length(trunk) + 1:] ELSE pd END
		END AS nat
	FROM r4
)
SELECT rid, side, obj, id, fn, ln,
	CASE WHEN el IS NOT NULL THEN el || '@' || ed END AS email,
	CASE WHEN el IS NOT NULL THEN el END AS elocal,
	CASE WHEN el IS NOT NULL THEN ed END AS edomain,
	CASE WHEN el IS NOT NULL THEN email_personal(ed) END AS epersonal,
	CASE WHEN email IS NULL THEN email_sha
	     WHEN position('@' IN trim(email)) > 0
	     THEN sha256(lower(trim(email))) END AS ehash,
	CASE WHEN pd IS NULL OR pd = '' THEN NULL
	     WHEN intl IS NULL AND iso2 IS NULL THEN
		CASE WHEN length(pd) BETWEEN 6 AND 15 THEN pd END
	     WHEN pcc IS NOT NULL AND nat IS NOT NULL AND length(nat) >= 6
	          AND length(pcc) + length(nat) <= 15
	          AND (pcc <> '1' OR length(nat) = 10)
	     THEN '+' || pcc || nat
	END AS phone,
	title_t, title_n, company, company_t, dom, city, state, country,
	${PREV ? 'pcompany, pcompany_t,' : ''}
	fn_sc, ln_sc, city_sc, title_sc, state_code, fn_rom, ln_rom,
	strlen(fn) = length(fn) AS fn_a, strlen(ln) = length(ln) AS ln_a,
	ln_ph, fn_ph, ln[1:1] AS ln_i, fn[1:1] AS fn_i
FROM r5;
`);
/*
 * The prior log-odds in every score, as crmsync's set_prior(): auto
 * takes p = 1 / (the larger side's record count), since a record has at
 * most one true partner.
 */
const sizes = (await all(`SELECT count(*) FILTER (WHERE side = 0) AS c,
	count(*) FILTER (WHERE side = 1) AS d FROM rec`))[0];
const ncrm = Number(sizes.c), ndir = Number(sizes.d);
let prior = 0;
if (model.prior !== 'none') {
	const n = Math.max(ncrm, ndir);
	const p = model.prior === 'auto' ? (n > 1 ? `1.0 / ${n}` : '0.5') :
		num(model.prior);
	prior = Number((await all(`SELECT log2((${p}) / (1 - (${p}))) AS w`))[0].w);
}

/*
 * Term frequencies (term_frequency: true): the share of directory
 * records holding a value among those with one, as crmsync's
 * count_terms(); the email's term is its hash.  A pair of equal values
 * at the first level weighs log2(m / share) instead of log2(m / u):
 * each directory record gets that weight of its own value (the CRM
 * value it is equal to has the same).  previous_company's terms are the
 * profiles' previous employers: a company many profiles left says less
 * than one few did, whatever its size today.
 */
const TERM = { first_name: 'fn', last_name: 'ln', email: 'ehash',
	phone: 'phone', title: 'title_n', company: 'company',
	previous_company: 'pcompany', domain: 'dom', city: 'city',
	state: 'state', country: 'country' };
const tfFields = Object.keys(model.comparisons)
	.filter((f) => model.comparisons[f].tf);
for (const f of tfFields)
	await run(`CREATE TABLE tf_${f} AS
	SELECT v, log2(${num(model.comparisons[f].levels[0].m)} /
		(n::DOUBLE / (sum(n) OVER ())::DOUBLE)) AS w
	FROM (SELECT ${TERM[f]} AS v, count(*) AS n FROM rec
	      WHERE side = 1 AND ${TERM[f]} IS NOT NULL GROUP BY 1);`);
/*
 * term_frequency_given (f given g): when both values are equal, f's u is
 * (profiles with both values + 100 u) / (profiles with g's value + 100),
 * u its plain term frequency, as crmsync's tf_given_u(): per pair of
 * values held in the directory (the profile compared counts itself, so
 * the counts are at least 1).
 */
const tfgFields = tfFields.filter((f) => model.comparisons[f].tfGiven);
for (const f of tfgFields) {
	const g = model.comparisons[f].tfGiven;
	const dirWith = (...c) => `FROM rec WHERE side = 1 AND ${c.map((x) =>
		`${TERM[x]} IS NOT NULL`).join(' AND ')}`;
	await run(`CREATE TABLE tfg_${f} AS
	WITH p AS (SELECT ${TERM[g]} AS g, ${TERM[f]} AS v, count(*) AS j
		${dirWith(g, f)} GROUP BY 1, 2),
	gn AS (SELECT ${TERM[g]} AS g, count(*) AS n ${dirWith(g)} GROUP BY 1),
	vn AS (SELECT ${TERM[f]} AS v, count(*) AS n, sum(count(*)) OVER () AS total
		${dirWith(f)} GROUP BY 1)
	SELECT p.g, p.v, log2(${num(model.comparisons[f].levels[0].m)} /
		((p.j::DOUBLE + 100.0 * (vn.n::DOUBLE / vn.total::DOUBLE)) /
		 (gn.n::DOUBLE + 100.0))) AS w
	FROM p JOIN gn USING (g) JOIN vn USING (v);`);
}
/*
 * crm and dir are views: the dictionaries' records and, for the
 * directory, the term-frequency weights of its values (small tables,
 * joined once per directory record when the scoring builds its hash
 * table of profiles).
 */
await run(`
CREATE VIEW crm AS SELECT *, replace(phone, '+', '') AS pdig FROM rec WHERE side = 0;
CREATE VIEW dir AS SELECT r.*, replace(r.phone, '+', '') AS pdig
	${tfFields.map((f) => `, tf_${f}.w AS tfw_${f}`).join('')}
	${tfgFields.map((f) => `, tfg_${f}.w AS tfgw_${f}`).join('')}
FROM rec r ${tfFields.map((f) =>
	`LEFT JOIN tf_${f} ON tf_${f}.v = r.${TERM[f]}`).join(' ')}
	${tfgFields.map((f) => `LEFT JOIN tfg_${f} ON tfg_${f}.g = ` +
		`r.${TERM[model.comparisons[f].tfGiven]} AND tfg_${f}.v = r.${TERM[f]}`).join(' ')}
WHERE r.side = 1;
DROP TABLE raw; DROP TABLE dfold; DROP TABLE dfirst; DROP TABLE dlast;
DROP TABLE droman; DROP TABLE droman0; DROP TABLE dcity; DROP TABLE dtitle;
DROP TABLE dcomp; DROP TABLE dcountry; DROP TABLE ddom; DROP TABLE phon;
`);
phase('normalise');

/* ---- blocking --------------------------------------------------------------- */

/*
 * Each rule's key, hashed to 64 bits as crmsync does (a false meeting
 * costs one scored pair); NULL when a part is empty.  A rule on both
 * names untransformed takes them in byte order, so that swapped names
 * ('Wang Wei', 'Wei Wang') share a block.  A crossed rule on both names
 * with a transform ({keys: [last_name:phonetic, first_name:initial],
 * crossed: true}) files each CRM record a second time under its names
 * crossed (its first name's code, its surname's initial): column bKx of
 * the CRM side, met by the profiles' bK (rule_hash_as(), blocks_build()).
 */
const crossName = (k) => k.replace(/^(first|last)_name/,
	(x) => x === 'first_name' ? 'last_name' : 'first_name');
const RULE_KEYS = model.blocking.map((r) => {
	const kf = r.keys.indexOf('first_name');
	const kl = r.keys.indexOf('last_name');
	const cols = (keys) => keys.map((k) => KEY_COLUMN[k]);
	const parts = cols(r.keys);
	const swap = kf >= 0 && kl >= 0;

	if (swap) {
		parts[kf] = 'least(fn, ln)';
		parts[kl] = 'greatest(fn, ln)';
	}
	return { parts, need: cols(r.keys),
		crossed: r.crossed && !swap ? cols(r.keys.map(crossName)) : null };
});
const keySql = (parts, need) => `CASE WHEN ${need.map((x) =>
	`(${x}) IS NOT NULL`).join(' AND ')} THEN hash(${parts.join(', ')}) END`;
/* ck, dk: the keys of the CRM records and of the profiles */
await run(`CREATE TABLE ck AS SELECT rid,
	${RULE_KEYS.map((r, k) => `${keySql(r.parts, r.need)} AS b${k}` +
		(r.crossed ? `, ${keySql(r.crossed, r.crossed)} AS b${k}x` : '')).join(',\n\t')}
FROM rec WHERE side = 0;
CREATE TABLE dk AS SELECT rid,
	${RULE_KEYS.map((r, k) => `${keySql(r.parts, r.need)} AS b${k}`).join(',\n\t')}
FROM rec WHERE side = 1;`);
/*
 * A block (one key of one rule) holding more than max_block_pairs pairs
 * (CRM filings x profiles; a crossed rule's two filings both count, as
 * in crmsync, where a record filed twice under one key counts twice) is
 * skipped: its key is cleared on both sides, so the rule pairs nobody
 * through it, and the other rules still pair the records that agree on
 * something rarer.
 */
const crmKeys = (k) => RULE_KEYS[k].crossed ?
	`(SELECT b${k} AS k FROM ck UNION ALL SELECT b${k}x FROM ck)` :
	`(SELECT b${k} AS k FROM ck)`;
await run(`CREATE TABLE capped AS
${RULE_KEYS.map((_, k) => `SELECT ${k} AS rule, k, nc, nd FROM (
	SELECT c.k, c.nc, d.nd FROM
		(SELECT k, count(*) AS nc FROM ${crmKeys(k)} WHERE k IS NOT NULL GROUP BY 1) c
		JOIN (SELECT b${k} AS k, count(*) AS nd FROM dk WHERE b${k} IS NOT NULL GROUP BY 1) d
		ON c.k = d.k)
WHERE ${model.maxBlockPairs ? `nc * nd > ${model.maxBlockPairs}` : 'false'}`).join('\nUNION ALL\n')};`);
const capped = (await all(`SELECT count(*) AS blocks,
	coalesce(sum(nc * nd), 0) AS pairs FROM capped`))[0];
const clear = (col, k) => `CASE WHEN ${col} IN (SELECT k FROM capped
	WHERE rule = ${k}) THEN NULL ELSE ${col} END AS ${col}`;
if (Number(capped.blocks)) {
	await run(`CREATE OR REPLACE TABLE ck AS SELECT * REPLACE (
		${RULE_KEYS.map((r, k) => clear(`b${k}`, k) +
			(r.crossed ? `, ${clear(`b${k}x`, k)}` : '')).join(',\n\t\t')})
	FROM ck;
	CREATE OR REPLACE TABLE dk AS SELECT * REPLACE (
		${RULE_KEYS.map((_, k) => clear(`b${k}`, k)).join(',\n\t\t')})
	FROM dk;`);
}

/*
 * The union of the rules as Splink writes it: rule k joins on its key
 * (a crossed rule joins a second time on the CRM side's crossed key)
 * and leaves out the pairs an earlier join already gave, so the union
 * is free of duplicates without a DISTINCT over all pairs.
 */
const RULES = RULE_KEYS.flatMap((r, k) => [`c.b${k} = d.b${k}`,
	...(r.crossed ? [`c.b${k}x = d.b${k}`] : [])]);
await run(`CREATE TABLE cand AS
${RULES.map((r, k) => `SELECT c.rid AS c, d.rid AS d FROM ck c JOIN dk d ON ${r}` +
	RULES.slice(0, k).map((e) => `\n\tAND NOT coalesce(${e}, false)`).join('')).join('\nUNION ALL\n')};
DROP TABLE ck; DROP TABLE dk;`);
phase('block');

/* ---- scoring ------------------------------------------------------------------ */

/*
 * A chain of projections: the similarities of a pair first (NULL when
 * the two values cannot be compared: a side has none, text in two
 * scripts, a region code against a region name, a personal address
 * against another), then each comparison's level weight, then the score
 * as pair_weights() makes it: the weights summed in the job's order,
 * implied_by and term_frequency_given changing that sum, the crossed
 * reading of the names when it does better, and the prior.
 *
 * Jaro-Winkler as sim_jaro_winkler(): DuckDB's jaro_winkler_similarity()
 * works on bytes, where crmsync compares characters ('健二' ~ '健一':
 * 0.867 on bytes, 0.667 on characters), so two names not both ASCII
 * are compared with each character recoded as one ASCII character,
 * distinct within the pair (jw_any()).  And its doubles can make a Jaro
 * of exactly 0.7 0.7000000000000001, which gets the Winkler prefix
 * bonus crmsync gives only above 0.7: jw_fix() takes that back (the
 * bonus adds at most 0.12).
 */
/* a similarity, NULL when the two scripts (or kinds of value) differ */
const unless = (cond, sim) => `CASE WHEN ${cond} THEN NULL ELSE ${sim} END`;
/*
 * Names x and y (columns x_sc, x_rom, ...): the similarity when their
 * scripts agree or both are in Latin letters (Latin, or romanised), else
 * NULL; across scripts only agreement counts (romanOnly()).
 */
const latin = (x) => `(${x}_sc = 1 OR ${x}_rom)`;
const nameSim = (x, y, sim) => unless(`${x}_sc <> ${y}_sc AND NOT (${latin(x)} AND ${latin(y)})`, sim);
/* x and y in two scripts, one romanised in a way that may be the wrong
 * one (not Cyrillic or Greek: crmsync's reliable_roman()) */
const reliable = (x) => `(NOT ${x}_rom OR ${x}_sc IN (2, 3))`;
const acrossScripts = (x, y) =>
	`(${x}_sc <> ${y}_sc AND NOT (${reliable(x)} AND ${reliable(y)}))`;
/* s, the similarity of names compared across scripts (`across`), is
 * NULL (missing) under comparison f's lowest level: a romanisation that
 * may be the wrong one and disagrees says nothing (crmsync's
 * compare_level()) */
const romanOnly = (across, f, s) => {
	const lv = model.comparisons[f].levels;
	return `CASE WHEN ${across} AND (${s}) >= 0
		AND (${s}) < ${num(lv[lv.length - 1].min - 1e-9)}
		THEN NULL ELSE ${s} END`;
};
/* (previous_company: the CRM record's company against the profile's
 * previous one, see FIELDS) */
const EQUAL = { first_name: 'c.fn = d.fn', last_name: 'c.ln = d.ln',
	email: 'c.ehash = d.ehash', phone: 'c.phone = d.phone',
	title: 'c.title_n = d.title_n', company: 'c.company = d.company',
	previous_company: 'c.company = d.pcompany',
	domain: 'c.dom = d.dom', city: 'c.city = d.city', state: 'c.state = d.state',
	country: 'c.country = d.country' };
const SIM = { email: 's_email', phone: 's_phone', first_name: 's_fn',
	last_name: 's_ln', company: 's_company',
	previous_company: 's_pcompany', domain: 's_domain', title: 's_title',
	city: 's_city', state: 's_state', country: 's_country' };
/* the weight of f: with its term-frequency weight when it has one */
const w = (f, sim) => model.comparisons[f].tf ?
	weightSql(f, sim, `tfw_${f}`, `eq_${f}`) : weightSql(f, sim);
/* f's similarity reaches its first level (false when missing) */
const level0 = (f, sim) => {
	const c = model.comparisons[f];
	return `coalesce((${sim}) >= ${num(c.levels[0].min -
		(c.method === 'jaro_winkler' ? 1e-9 : 0))}, false)`;
};
/*
 * A first name given as its initial (one byte: 'J', 'J.' folded) only
 * compares by initial (compare_level(), when both names are there): an
 * equal one counts as missing (NULL), another as the else level (-1,
 * below every level).
 */
const initial = (x, y, sim) => `CASE WHEN ${x} IS NOT NULL AND ${y} IS NOT NULL
		AND (strlen(${x}) = 1 OR strlen(${y}) = 1)
	THEN CASE WHEN left(${x}, 1) = left(${y}, 1) THEN NULL ELSE -1.0::DOUBLE END
	ELSE ${sim} END`;
const CMPS = Object.keys(model.comparisons);
const missingOf = (f) => num(model.comparisons[f].missing);
/*
 * implied_by (f by g): when g is at its first level (the city agrees), f
 * counts as missing unless it already does.  term_frequency_given (f
 * given g): when both are at their first level with equal values, f
 * weighs log2(m / u) with the u of tfg_f.  Both as pair_weights()
 * applies them, in the same order, each changing the running total as
 * crmsync does (so the sums come out bit for bit the same).
 */
const IMPLIED = CMPS.filter((f) => model.comparisons[f].impliedBy);
const GIVEN = CMPS.filter((f) => model.comparisons[f].tfGiven);
/*
 * The crossed reading of the names (plain weights) can do no better
 * than the best level of each; when the straight reading already
 * reaches that, it is not computed.
 */
const best = (c) => Math.max(c.else, c.missing, ...c.levels.map((l) => l.w));
const bestCrossed = num(best(model.comparisons.first_name) +
	best(model.comparisons.last_name));
const crossed = (sql) => `CASE WHEN skip_x THEN NULL ELSE ${sql} END`;
/* the column of f's weight after the implied_by (1) and the
 * term_frequency_given (2) steps */
const wAt = (f, step) => step >= 2 && GIVEN.includes(f) ? `w2_${f}` :
	IMPLIED.includes(f) ? `w1_${f}` : `w_${f}`;

/*
 * The scores of all pairs are only kept per CRM record: its top 3 at the
 * candidate floor by (score desc, then directory record order: max() of
 * {score, -rid} structs, as crmsync's top_add()) for the rivals, and its
 * pairs at the threshold, the candidate links.
 */
const thr = num(model.threshold);
const floor = num(Math.min(model.candidateFloor, model.threshold));
await run(`
CREATE TABLE top AS
WITH v AS (
	SELECT p.c, p.d,
		c.fn AS c_fn, c.ln AS c_ln, d.fn AS d_fn, d.ln AS d_ln,
		c.fn_sc AS c_fn_sc, c.ln_sc AS c_ln_sc, d.fn_sc AS d_fn_sc,
		d.ln_sc AS d_ln_sc, c.fn_rom AS c_fn_rom, c.ln_rom AS c_ln_rom,
		d.fn_rom AS d_fn_rom, d.ln_rom AS d_ln_rom,
		c.fn_a AND d.fn_a AS a_fn, c.ln_a AND d.ln_a AS a_ln,
		c.fn_a AND d.ln_a AS ax_fn, c.ln_a AND d.fn_a AS ax_ln,
		${initial('c.fn', 'd.fn', nameSim('c.fn', 'd.fn', 'jw_any(c.fn, d.fn, c.fn_a AND d.fn_a)'))} AS j_fn,
		${nameSim('c.ln', 'd.ln', 'jw_any(c.ln, d.ln, c.ln_a AND d.ln_a)')} AS j_ln,
		CASE WHEN c.email IS NOT NULL AND d.email IS NOT NULL THEN
			CASE WHEN c.email <> d.email
			          AND (c.epersonal OR d.epersonal) THEN NULL
			     WHEN c.email = d.email THEN 1.0
			     WHEN c.elocal = d.elocal THEN 0.75
			     WHEN c.edomain = d.edomain THEN 0.5 ELSE 0.0 END
		     WHEN c.ehash IS NOT NULL AND d.ehash IS NOT NULL THEN
			CASE WHEN c.ehash = d.ehash THEN 1.0 ELSE 0.0 END
		END AS s_email,
		CASE WHEN c.pdig IS NULL OR d.pdig IS NULL THEN NULL
		     WHEN length(c.pdig) < 7 OR length(d.pdig) < 7 THEN 0.0
		     WHEN c.pdig = d.pdig THEN 1.0
		     WHEN length(c.pdig) >= 10 AND length(d.pdig) >= 10
		          AND right(c.pdig, 10) = right(d.pdig, 10) THEN 0.75
		     WHEN right(c.pdig, 7) = right(d.pdig, 7) THEN 0.5
		     ELSE 0.0 END AS s_phone,
		token_set(c.company_t, d.company_t) AS s_company,
		${PREV ? 'token_set(c.company_t, d.pcompany_t) AS s_pcompany,' : ''}
		(c.dom = d.dom)::DOUBLE AS s_domain,
		${unless('c.title_sc <> d.title_sc', 'token_set(c.title_t, d.title_t)')} AS s_title,
		${unless('c.city_sc <> d.city_sc', '(c.city = d.city)::DOUBLE')} AS s_city,
		${unless('c.state_code <> d.state_code', '(c.state = d.state)::DOUBLE')} AS s_state,
		(c.country = d.country)::DOUBLE AS s_country
		${tfFields.map((f) => `, d.tfw_${f}, coalesce(${EQUAL[f]}, false) AS eq_${f}`).join('')}
		${GIVEN.map((f) => `, d.tfgw_${f}, coalesce(${EQUAL[model.comparisons[f].tfGiven]}, false) AS eqg_${f}`).join('')}
	FROM cand p JOIN crm c ON c.rid = p.c JOIN dir d ON d.rid = p.d
), v2 AS (
	SELECT *, ${romanOnly(acrossScripts('c_fn', 'd_fn'), 'first_name', 'jw_fix(j_fn, c_fn, d_fn, a_fn)')} AS s_fn,
		${romanOnly(acrossScripts('c_ln', 'd_ln'), 'last_name', 'jw_fix(j_ln, c_ln, d_ln, a_ln)')} AS s_ln
	FROM v
), s AS (
	SELECT *,
		${CMPS.map((f) => `${w(f, SIM[f])} AS w_${f}`).join(',\n\t\t')}
	FROM v2
), s1 AS (
	SELECT *,
		${IMPLIED.map((f) => `(${level0(model.comparisons[f].impliedBy,
			SIM[model.comparisons[f].impliedBy])} AND ${SIM[f]} IS NOT NULL) AS imp_${f}`).join(',\n\t\t') || 'NULL AS no_implied'}
	FROM s
), s2 AS (
	SELECT *,
		${CMPS.map((f) => `w_${f}`).join(' + ')}
		${IMPLIED.map((f) => `\n\t\t+ CASE WHEN imp_${f} THEN ${missingOf(f)} - w_${f} ELSE 0.0 END`).join('')}
			AS t1
		${IMPLIED.map((f) => `, CASE WHEN imp_${f} THEN ${missingOf(f)} ELSE w_${f} END AS w1_${f}`).join('')}
	FROM s1
), s3 AS (
	SELECT *,
		${GIVEN.map((f) => `(${level0(f, SIM[f])} AND ${level0(model.comparisons[f].tfGiven,
			SIM[model.comparisons[f].tfGiven])} AND eq_${f} AND eqg_${f}
			AND tfgw_${f} IS NOT NULL) AS tg_${f}`).join(',\n\t\t') || 'NULL AS no_given'}
	FROM s2
), s4 AS (
	SELECT *,
		${GIVEN.reduce((t, f) => `CASE WHEN tg_${f} THEN (${t}) - ${wAt(f, 1)} + tfgw_${f} ELSE ${t} END`, 't1')} AS t2
		${GIVEN.map((f) => `, CASE WHEN tg_${f} THEN tfgw_${f} ELSE ${wAt(f, 1)} END AS w2_${f}`).join('')}
	FROM s3
), x AS (
	SELECT *, ${wAt('first_name', 2)} + ${wAt('last_name', 2)} AS before_x,
		${wAt('first_name', 2)} + ${wAt('last_name', 2)} >= ${bestCrossed} AS skip_x
	FROM s4
), x1 AS (
	SELECT *,
		${crossed(initial('c_fn', 'd_ln', nameSim('c_fn', 'd_ln', 'jw_any(c_fn, d_ln, ax_fn)')))} AS jx_fn,
		${crossed(nameSim('c_ln', 'd_fn', 'jw_any(c_ln, d_fn, ax_ln)'))} AS jx_ln
	FROM x
), x2 AS (
	SELECT *, ${romanOnly(acrossScripts('c_fn', 'd_ln'), 'first_name', 'jw_fix(jx_fn, c_fn, d_ln, ax_fn)')} AS x_fn,
		${romanOnly(acrossScripts('c_ln', 'd_fn'), 'last_name', 'jw_fix(jx_ln, c_ln, d_fn, ax_ln)')} AS x_ln
	FROM x1
), x3 AS (
	SELECT *, ${crossed(`${weightSql('first_name', 'x_fn')} + ${weightSql('last_name', 'x_ln')}`)}
		AS w_x
	FROM x2
), sc AS (
	SELECT c, d, t2 + CASE WHEN w_x > before_x THEN w_x - before_x ELSE 0.0 END
		+ ${num(prior)} AS score
	FROM x3
)
SELECT c, coalesce(max({s: score, nd: -d}, 3) FILTER (WHERE score >= ${floor}),
		[]) AS t,
	list({s: score, nd: -d}) FILTER (WHERE score >= ${thr}) AS e
FROM sc GROUP BY c;
`);
phase('score');

/* ---- rivals ------------------------------------------------------------------ */

/*
 * exclusive: each pair's score gets the weight of its CRM record's other
 * candidates among the record's top 3 of every scored pair (score desc,
 * then directory record order: max() of (score, -rid) structs):
 * rivals = -log2(1 + sum of 2^score over them), summed as crmsync's
 * rivals_weight() sums it (scaled by 2^-hi, hi = max(0, their best)),
 * 0 when the record has no other candidate or when above -0.0005.
 * Rivals only lower a score, so only pairs already at the threshold can
 * stay there.  Without exclusive, the pairs at the threshold as scored.
 */
/* rivals(): the weight of the candidates `cands` (a record's top) other
 * than the one whose -rid is `self`; o: those, in top order */
await run(`
CREATE MACRO rivals_sum(o, hi) AS CASE WHEN len(o) = 0 THEN 0.0 ELSE
	-(hi + log2(pow(2.0, -hi) + pow(2.0, o[1].s - hi)
		+ coalesce(pow(2.0, o[2].s - hi), 0.0)
		+ coalesce(pow(2.0, o[3].s - hi), 0.0))) END;
CREATE MACRO rivals_of(o) AS rivals_sum(o,
	greatest(list_max(list_transform(o, y -> y.s)), 0.0));
CREATE MACRO rivals_cut(w) AS CASE WHEN w <= -0.0005 THEN w ELSE 0.0 END;
CREATE MACRO rivals(cands, self) AS ${model.exclusive ?
	'rivals_cut(rivals_of(list_filter(cands, y -> y.nd <> self)))' : '0.0'};
CREATE TABLE edge0 AS
SELECT c, -x.nd AS d, x.s + rivals(t, x.nd) AS score
FROM (SELECT c, t, unnest(e) AS x FROM top WHERE e IS NOT NULL);
`);
/*
 * MATCH_PEER_CANDIDATES=FILE: every CRM record's top 3 candidates with
 * their scores (rivals included), as CrmObject,CrmId,Rank,TargetId,Score,
 * to compare with crmsync's person_candidates.csv.gz (not timed work of
 * the benchmark: the phase after this one starts when it is written).
 */
if (process.env.MATCH_PEER_CANDIDATES) {
	await run(`COPY (
	WITH u AS (SELECT c, t, unnest(t) AS x, generate_subscripts(t, 1) AS rank
		FROM top)
	SELECT c.obj AS CrmObject, c.id AS CrmId, u.rank AS Rank, d.id AS TargetId,
		round(x.s + rivals(t, x.nd), 3) AS Score
	FROM u JOIN rec c ON c.rid = u.c JOIN rec d ON d.rid = -x.nd
	ORDER BY c.obj, c.id, u.rank)
	TO ${q(process.env.MATCH_PEER_CANDIDATES)} (FORMAT csv, HEADER true)`);
}
await run(`
CREATE TABLE edge AS SELECT e.c, e.d, c.obj, c.id AS crm_id, d.id AS mem_id,
	e.score
FROM edge0 e JOIN rec c ON c.rid = e.c JOIN rec d ON d.rid = e.d
WHERE e.score >= ${thr};`);
const overThreshold = Number((await all('SELECT count(*) AS n FROM edge0'))[0].n);
const afterRivals = Number((await all('SELECT count(*) AS n FROM edge'))[0].n);
phase('rivals');


/* ---- one-to-one ---------------------------------------------------------------- */

/*
 * Each round links the pairs that are the best remaining edge of their
 * CRM record and of their profile under (score desc, CrmId, MemberId),
 * then drops every edge of a linked record.  Such a pair is the one the
 * sequential greedy loop links when it reaches it, so the rounds end
 * with the greedy matching.
 */
await run(`CREATE TABLE link(c BIGINT, d BIGINT, obj VARCHAR, crm_id VARCHAR,
	mem_id VARCHAR, score DOUBLE);`);
let rounds = 0;
for (;;) {
	const left = Number((await all('SELECT count(*) AS n FROM edge'))[0].n);
	if (!left)
		break;
	rounds++;
	await run(`
	CREATE OR REPLACE TEMP TABLE won AS
	SELECT * FROM edge
	QUALIFY row_number() OVER (PARTITION BY c ORDER BY score DESC, mem_id) = 1
	    AND row_number() OVER (PARTITION BY d ORDER BY score DESC, crm_id) = 1;
	INSERT INTO link SELECT c, d, obj, crm_id, mem_id, score FROM won;
	CREATE OR REPLACE TABLE edge AS SELECT * FROM edge e
	WHERE NOT EXISTS (SELECT 1 FROM won w WHERE w.c = e.c)
	  AND NOT EXISTS (SELECT 1 FROM won w WHERE w.d = e.d);
	`);
}
phase('one_to_one');

/* ---- output ------------------------------------------------------------------------ */

const tmp = `${opt.out}.tmp`;
await run(`COPY (SELECT obj AS CrmObject, crm_id AS CrmId, mem_id AS MemberId,
		round(score, 3) AS Score
	FROM link ORDER BY obj, crm_id)
	TO ${q(tmp)} (FORMAT csv, HEADER true)`);
fs.renameSync(tmp, opt.out);
phase('write');

const counts = (await all(`SELECT
	(SELECT count(*) FROM crm) AS crm_records,
	(SELECT count(*) FROM dir) AS profiles,
	(SELECT count(*) FROM cand) AS pairs_scored,
	${overThreshold} AS pairs_over_threshold,
	${afterRivals} AS pairs_over_threshold_with_rivals,
	(SELECT count(*) FROM link) AS links`))[0];
for (const [k, v] of Object.entries(counts))
	console.log(`${k} ${Number(v)}`);
if (opt.truth) {
	const t0t = Date.now();
	const t = (await all(`WITH t AS (
		SELECT c.rid AS c, d.rid AS d
		FROM read_csv(${q(opt.truth)}, header = true, all_varchar = true) t
		JOIN crm c ON c.obj = t.CrmObject AND c.id = t.CrmId
		JOIN dir d ON d.id = t.TargetId
		WHERE t.Kind = 'match')
	SELECT count(*) AS n, count(k.c) AS blocked
	FROM t LEFT JOIN cand k ON k.c = t.c AND k.d = t.d`))[0];
	console.log(`truth_pairs ${Number(t.n)}`);
	console.log(`truth_pairs_blocked ${Number(t.blocked)}`);
	console.log(`seconds_truth ${((Date.now() - t0t) / 1000).toFixed(2)}`);
}
console.log(`blocks_capped ${Number(capped.blocks)}`);
console.log(`pairs_capped ${Number(capped.pairs)}`);
console.log(`prior ${prior.toFixed(3)}`);
console.log(`rounds ${rounds}`);
console.log(`threads ${(await all("SELECT current_setting('threads') AS t"))[0].t}`);
for (const [k, v] of figures)
	console.log(`${k} ${v}`);
console.log(`seconds_total ${((Date.now() - t0) / 1000).toFixed(2)}`);
