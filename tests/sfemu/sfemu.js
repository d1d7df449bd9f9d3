#!/usr/bin/env node
'use strict';
/*
 * sfemu.js - a small, faithful Salesforce emulator for crmsync's tests.
 *
 * Serves, on loopback, what crmsync uses of Salesforce (see
 * shared/research/salesforce-protocol.md for the facts and their sources):
 *
 *   POST /services/oauth2/token      grant types jwt-bearer (RS256 checked against a
 *                                    public key), refresh_token, client_credentials
 *   POST /services/oauth2/revoke     token=<access or refresh token>
 *   /services/data/vNN.N/jobs/query  Bulk API 2.0 query jobs (SOQL subset, queryAll,
 *                                    maxRecords paging with locators, gzip)
 *   /services/data/vNN.N/jobs/ingest Bulk API 2.0 ingest jobs (insert, upsert, update,
 *                                    delete; per-row validation; result CSVs)
 *   /services/data/vNN.N/limits      DailyApiRequests
 *   /__control/...                   test control: stats, request log, fault injection,
 *                                    records written, API usage, token expiry (no auth)
 *
 * The org is held in memory, seeded from Bulk-API-shaped CSV files (one per
 * object, named Object.csv) and optionally extended with large synthetic
 * tables.  Only Node's standard library is used.
 *
 * Usage: node sfemu.js --config FILE [--http] [--port N] [--idle-timeout S]
 *        [--synthetic Contact=2000000] [--query-polls N] [--ingest-polls N]
 *        [--api-max N] [--gzip-level N] [--record-type Task=012...]
 *        [--external-id Task=Field__c] [--org DIR] [--dump DIR] [--quiet] [--warm]
 *        [--writable Contact]
 * When listening it prints one JSON line on stdout: {"url":"https://127.0.0.1:PORT","pid":N}
 * tests/sfemu/README.md documents the configuration and the control interface.
 */
const fs = require('fs');
const http = require('http');
const https = require('https');
const crypto = require('crypto');
const zlib = require('zlib');
const path = require('path');
const { Readable } = require('stream');
const csv = require('./lib/csv');
const soql = require('./lib/soql');
const { Org, Table, makeId, normId, convert, hash32 } = require('./lib/org');

// ======================================================================= configuration

/** Parse argv into a config object (file values first, flags override). */
function loadConfig(argv) {
  const flags = {};
  const multi = { synthetic: [], 'record-type': [], 'external-id': [], writable: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error('unexpected argument ' + a);
    const eq = a.indexOf('=');
    let key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let val = eq > 0 ? a.slice(eq + 1) : undefined;
    if (['http', 'quiet', 'warm'].includes(key)) { flags[key] = true; continue; }
    if (val === undefined) { val = argv[++i]; if (val === undefined) throw new Error('missing value for --' + key); }
    if (key in multi) multi[key].push(...val.split(',')); else flags[key] = val;
  }
  let cfg = {};
  if (flags.config) cfg = JSON.parse(fs.readFileSync(flags.config, 'utf8'));
  const num = (k, d) => (flags[k] !== undefined ? Number(flags[k]) : cfg[k.replace(/-/g, '_')] !== undefined ? Number(cfg[k.replace(/-/g, '_')]) : d);
  const pairs = (list, into) => {
    for (const p of list) {
      const [o, v] = p.split('=');
      if (!o || !v) throw new Error('expected Object=value, got ' + p);
      (into[o] = into[o] || []).push(v);
    }
    return into;
  };
  const synthetic = { ...(cfg.synthetic || {}) };
  for (const p of multi.synthetic) { const [o, n] = p.split('='); synthetic[o] = Number(n); }
  return {
    orgDir: flags.org || cfg.org_dir || null,
    host: flags.host || cfg.host || '127.0.0.1',
    port: num('port', 0),
    http: !!(flags.http || cfg.http),
    tlsCert: cfg.tls_cert, tlsKey: cfg.tls_key,
    clientId: cfg.client_id || 'sfemu-client-id',
    clientSecret: cfg.client_secret || 'sfemu-client-secret',
    username: cfg.username || 'integration@sfemu.example',
    userId: cfg.user_id || null,
    orgId: cfg.org_id || null,
    jwtPublicKey: cfg.jwt_public_key ? fs.readFileSync(cfg.jwt_public_key, 'utf8') : null,
    audiences: cfg.audiences || [],
    refreshTokens: cfg.refresh_tokens || [],
    clientCredentials: cfg.client_credentials_enabled !== false,
    accessTokenTtl: num('access-token-ttl', 7200),
    jwtMaxAhead: num('jwt-max-ahead', 300), // 3 minutes + 2 minutes of clock skew
    jwtSkew: num('jwt-skew', 60),
    apiMax: num('api-max', 15000),
    apiUsed: num('api-used', 0),
    queryPolls: num('query-polls', 1),
    ingestPolls: num('ingest-polls', 1),
    gzipLevel: num('gzip-level', 1),
    idleTimeout: num('idle-timeout', 300),
    recordTypes: pairs(multi['record-type'], JSON.parse(JSON.stringify(cfg.record_types || {}))),
    externalIds: pairs(multi['external-id'], JSON.parse(JSON.stringify(cfg.external_ids || {}))),
    objects: cfg.objects || {},
    writable: [...(cfg.writable || []), ...multi.writable],
    synthetic,
    dumpDir: flags.dump || cfg.dump_dir || null,
    quiet: !!(flags.quiet || cfg.quiet),
    warm: !!(flags.warm || cfg.warm),
  };
}

const CFG = loadConfig(process.argv.slice(2));
const ORG = new Org({
  orgDir: CFG.orgDir, objects: CFG.objects, writable: CFG.writable, externalIds: CFG.externalIds, recordTypes: CFG.recordTypes,
  synthetic: CFG.synthetic, userId: CFG.userId, orgId: CFG.orgId,
});
let BASE_URL = ''; // set once listening

// ======================================================================= state

const state = {
  usage: { used: CFG.apiUsed, max: CFG.apiMax },
  stats: { api_requests: 0, token_requests: 0, gzip_responses: 0, by_route: {} },
  log: [], // {method, path, status}
  faults: [],
  jobs: new Map(), // id -> job
  jobCounter: 0,
  access: new Map(), // access token -> {expiresAt, revoked, refresh}
  refresh: new Map(), // refresh token -> {revoked}
};
for (const t of CFG.refreshTokens) state.refresh.set(t, { revoked: false });

// ======================================================================= small helpers

const JSON_TYPE = 'application/json;charset=UTF-8';
const CSV_TYPE = 'text/csv; charset=UTF-8';

/** Salesforce job timestamp: 2018-12-10T17:50:19.000+0000 */
function sfTime(ms = Date.now()) { return new Date(ms).toISOString().replace('Z', '+0000'); }

/** JSON text with apiVersion written as a decimal (58.0), like Salesforce. */
function jsonText(v) {
  return JSON.stringify(v).replace(/"apiVersion":(\d+)(?=[,}])/g, '"apiVersion":$1.0');
}

/** A JSON response. */
function jsonResp(status, value, headers = {}) {
  return { status, headers, body: Buffer.from(jsonText(value)), contentType: JSON_TYPE, kind: 'json' };
}

/** A REST/Bulk error response: [{"errorCode":..., "message":...}]. */
function apiError(status, errorCode, message) { return jsonResp(status, [{ errorCode, message }]); }

/** An OAuth error response: {"error":..., "error_description":...}. */
function oauthError(status, error, description) { return jsonResp(status, { error, error_description: description }); }

const NOT_FOUND = () => apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
const INVALID_SESSION = () => jsonResp(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);

/** Random token text (base64url). */
function randomToken(bytes) { return crypto.randomBytes(bytes).toString('base64url'); }

/** Read the whole request body (chunked or sized) as a Buffer; null when too large. */
function readBody(req, limit = 200 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let n = 0;
    req.on('data', (c) => { n += c.length; if (n <= limit) parts.push(c); });
    req.on('end', () => resolve(n > limit ? null : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function log(msg) { if (!CFG.quiet) process.stderr.write(new Date().toISOString() + ' ' + msg + '\n'); }

// ======================================================================= OAuth

/** Issue an access token (optionally tied to a refresh token) and the Salesforce token response. */
function issueToken(refresh) {
  const token = ORG.orgId.slice(0, 15) + '!' + randomToken(72);
  state.access.set(token, { expiresAt: Date.now() + CFG.accessTokenTtl * 1000, revoked: false, refresh: refresh || null });
  const issuedAt = String(Date.now());
  const id = BASE_URL + '/id/' + ORG.orgId + '/' + ORG.userId;
  const signature = crypto.createHmac('sha256', CFG.clientSecret).update(id + issuedAt).digest('base64');
  return {
    access_token: token, signature, scope: 'api', instance_url: BASE_URL, id,
    token_type: 'Bearer', issued_at: issuedAt,
  };
}

/** The audiences accepted in a JWT: our own URL(s), login and test, plus configured ones. */
function audiences() {
  const port = BASE_URL.replace(/^.*:(\d+)$/, '$1');
  const scheme = CFG.http ? 'http' : 'https';
  return new Set([BASE_URL, BASE_URL + '/', scheme + '://localhost:' + port, 'https://login.salesforce.com',
    'https://test.salesforce.com', ...CFG.audiences]);
}

/** Check a JWT bearer assertion; returns null when valid, else an OAuth error response. */
function checkJwt(assertion) {
  const invalid = () => oauthError(400, 'invalid_grant', 'invalid assertion');
  if (!assertion) return invalid();
  const parts = assertion.split('.');
  if (parts.length !== 3) return invalid();
  let header; let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch (e) { return invalid(); }
  if (!header || header.alg !== 'RS256' || !claims || typeof claims !== 'object') return invalid();
  if (claims.iss !== CFG.clientId) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
  if (!CFG.jwtPublicKey) return invalid();
  let ok = false;
  try {
    ok = crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]), CFG.jwtPublicKey, Buffer.from(parts[2], 'base64url'));
  } catch (e) { ok = false; }
  if (!ok) return invalid();
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const okAud = audiences();
  if (!aud.some((a) => okAud.has(a))) return oauthError(400, 'invalid_grant', 'audience is invalid');
  const exp = Number(claims.exp);
  const now = Date.now() / 1000;
  if (!Number.isFinite(exp) || exp <= now - CFG.jwtSkew) return oauthError(400, 'invalid_grant', 'expired authorization code');
  if (exp > now + CFG.jwtMaxAhead) return invalid();
  const sub = claims.prn !== undefined ? claims.prn : claims.sub; // prn wins, as at Salesforce
  if (sub !== CFG.username) return oauthError(400, 'invalid_grant', "user hasn't approved this consumer");
  return null;
}

/** POST /services/oauth2/token */
function tokenEndpoint(req, body) {
  if (req.method !== 'POST') return oauthError(400, 'invalid_request', 'must use HTTP POST');
  const form = new URLSearchParams(body.toString('utf8'));
  let clientId = form.get('client_id');
  let clientSecret = form.get('client_secret');
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization || '');
  if (basic) {
    const [u, p] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    clientId = clientId || decodeURIComponent(u || '');
    clientSecret = clientSecret || decodeURIComponent(p || '');
  }
  const grant = form.get('grant_type');
  if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    if (clientId && clientId !== CFG.clientId) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    const err = checkJwt(form.get('assertion'));
    if (err) return err;
    const t = issueToken(null);
    delete t.signature; delete t.issued_at; // the JWT flow answers without them
    return jsonResp(200, t, { 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private', Pragma: 'no-cache' });
  }
  if (grant === 'refresh_token') {
    if (clientId !== CFG.clientId) return oauthError(400, 'invalid_client_id', 'client identifier invalid');
    if (clientSecret && clientSecret !== CFG.clientSecret) return oauthError(400, 'invalid_client', 'invalid client credentials');
    const rt = form.get('refresh_token');
    const r = rt && state.refresh.get(rt);
    if (!r || r.revoked) return oauthError(400, 'invalid_grant', 'expired access/refresh token');
    return jsonResp(200, issueToken(rt), { 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private', Pragma: 'no-cache' });
  }
  if (grant === 'client_credentials') {
    if (clientId !== CFG.clientId || clientSecret !== CFG.clientSecret) return oauthError(400, 'invalid_client', 'invalid client credentials');
    if (!CFG.clientCredentials) return oauthError(400, 'invalid_grant', 'no client credentials user enabled');
    return jsonResp(200, issueToken(null), { 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private', Pragma: 'no-cache' });
  }
  return oauthError(400, 'unsupported_grant_type', 'grant type not supported');
}

/** POST /services/oauth2/revoke: an access token, or a refresh token and its access tokens. */
function revokeEndpoint(req, body) {
  if (req.method !== 'POST') return oauthError(400, 'invalid_request', 'must use HTTP POST');
  const token = new URLSearchParams(body.toString('utf8')).get('token');
  const a = token && state.access.get(token);
  if (a && !a.revoked) { a.revoked = true; return { status: 200, headers: {}, body: Buffer.alloc(0) }; }
  const r = token && state.refresh.get(token);
  if (r && !r.revoked) {
    r.revoked = true;
    for (const v of state.access.values()) if (v.refresh === token) v.revoked = true;
    return { status: 200, headers: {}, body: Buffer.alloc(0) };
  }
  return oauthError(400, 'invalid_token', 'invalid token');
}

/** Is the request's Authorization header a live access token? */
function authorized(req) {
  const m = /^(Bearer|OAuth)\s+(\S+)\s*$/i.exec(req.headers.authorization || '');
  const t = m && state.access.get(m[2]);
  return !!(t && !t.revoked && Date.now() < t.expiresAt);
}

// ======================================================================= jobs (shared)

/** A new job id (750 prefix, 18 chars). */
function newJobId() { state.jobCounter += 1; return makeId('750', 0x1000000 + state.jobCounter); }

/**
 * Advance a job on a poll: UploadComplete/InProgress -> InProgress for
 * `pollsLeft` polls, then its final state (JobComplete or Failed).
 */
function advance(job) {
  if (job.state !== 'UploadComplete' && job.state !== 'InProgress') return;
  if (job.pollsLeft > 0) { job.pollsLeft -= 1; job.state = 'InProgress'; } else {
    job.state = job.finalState;
    if (job.finalState === 'Failed') job.errorMessage = job.failMessage;
  }
  job.systemModstamp = Date.now();
}

const TERMINAL = new Set(['JobComplete', 'Failed', 'Aborted']);

// ======================================================================= query jobs

/** Job info JSON of a query job (full = GET form). */
function queryInfo(job, full) {
  const o = {
    id: job.id, operation: job.operation, object: job.object, createdById: ORG.userId,
    createdDate: sfTime(job.createdDate), systemModstamp: sfTime(job.systemModstamp), state: job.state,
    concurrencyMode: 'Parallel', contentType: 'CSV', apiVersion: job.apiVersion, lineEnding: job.lineEnding,
    columnDelimiter: job.columnDelimiter,
  };
  if (full) {
    Object.assign(o, {
      jobType: 'V2Query', numberRecordsProcessed: job.state === 'JobComplete' ? job.snapshot.count : 0,
      retries: 0, totalProcessingTime: job.state === 'JobComplete' ? 42 : 0, isPkChunkingSupported: true,
    });
    if (job.state === 'Failed' && job.errorMessage) o.errorMessage = job.errorMessage;
  }
  return o;
}

/** POST jobs/query */
function createQueryJob(ctx, body) {
  const b = ctx.json;
  if (!b || typeof b !== 'object') return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
  const operation = b.operation;
  if (operation !== 'query' && operation !== 'queryAll') {
    return apiError(400, 'INVALIDJOB', "InvalidJob : Invalid operation: '" + operation + "'. Valid operations are query and queryAll");
  }
  if (typeof b.query !== 'string' || !b.query.trim()) return apiError(400, 'INVALIDJOB', 'InvalidJob : Query is required');
  const delimName = b.columnDelimiter || 'COMMA';
  const eolName = b.lineEnding || 'LF';
  if (!(delimName in csv.DELIMITERS)) return apiError(400, 'INVALIDJOB', 'InvalidJob : Invalid columnDelimiter: ' + delimName);
  if (!(eolName in csv.LINE_ENDINGS)) return apiError(400, 'INVALIDJOB', 'InvalidJob : Invalid lineEnding: ' + eolName);
  if (b.contentType && b.contentType !== 'CSV') return apiError(400, 'INVALIDJOB', 'InvalidJob : Invalid contentType: ' + b.contentType);
  let q; let plan; let table;
  try {
    q = soql.parse(b.query);
    table = ORG.table(q.object.name);
    if (!table) return apiError(400, 'INVALIDJOB', 'Unable to find object: ' + q.object.name);
    plan = soql.compile(q, table, b.query);
  } catch (e) {
    if (e instanceof soql.SoqlError) return apiError(400, 'INVALIDJOB', e.message);
    throw e;
  }
  // evaluate now: the results are a snapshot of the org at job time
  const all = operation === 'queryAll';
  const n = table.size();
  let idx = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!all && table.isDeleted(i)) continue;
    if (plan.filter && !plan.filter(i)) continue;
    idx[m++] = i;
  }
  idx = idx.subarray(0, m);
  if (plan.compare) idx = Int32Array.from(Array.from(idx).sort(plan.compare));
  if (plan.limit !== null && idx.length > plan.limit) idx = idx.subarray(0, plan.limit);
  const now = Date.now();
  const job = {
    kind: 'query', id: newJobId(), operation, object: table.name, createdDate: now, systemModstamp: now,
    state: 'UploadComplete', apiVersion: ctx.version, versionText: ctx.versionText, lineEnding: eolName, columnDelimiter: delimName,
    snapshot: table.snapshot(idx), cols: plan.cols, header: plan.header, query: b.query,
    pollsLeft: CFG.queryPolls, finalState: ctx.jobFailed ? 'Failed' : 'JobComplete', failMessage: ctx.jobFailed || null,
  };
  state.jobs.set(job.id, job);
  return jsonResp(200, queryInfo(job, false));
}

/** Offset <-> locator: base64 of the decimal offset without padding ("MTAwMDA" = 10000), as Salesforce shows. */
function locatorFor(offset) { return Buffer.from(String(offset)).toString('base64').replace(/=+$/, ''); }
function offsetOf(locator) {
  if (!/^[A-Za-z0-9+/_-]+$/.test(locator)) return -1;
  const s = Buffer.from(locator, 'base64').toString('latin1');
  return /^\d+$/.test(s) ? Number(s) : -1;
}

/** GET jobs/query/{id}/results[?locator=&maxRecords=] */
function queryResults(ctx, job) {
  if (job.apiVersion !== ctx.version) {
    return apiError(409, 'INVALIDJOB', 'InvalidJob : Results must be retrieved with the API version of the job (v' + job.versionText +
      '), not v' + ctx.versionText);
  }
  if (job.state !== 'JobComplete') {
    return apiError(400, 'JOB_NOT_COMPLETE', 'can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ' +
      job.state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase());
  }
  const params = ctx.url.searchParams;
  const total = job.snapshot.count;
  let start = 0;
  if (params.has('locator') && params.get('locator') !== '') {
    start = offsetOf(params.get('locator'));
    if (start < 0 || start > total) return apiError(400, 'INVALIDLOCATOR', 'InvalidLocator : Invalid locator: ' + params.get('locator'));
  }
  let end = total;
  if (params.has('maxRecords')) {
    const mr = params.get('maxRecords');
    if (!/^\d+$/.test(mr) || Number(mr) < 1) return apiError(400, 'INVALIDPARAMETER', 'maxRecords must be a positive integer, got: ' + mr);
    end = Math.min(total, start + Number(mr));
  }
  const delim = csv.DELIMITERS[job.columnDelimiter];
  const eol = csv.LINE_ENDINGS[job.lineEnding];
  const { value } = job.snapshot;
  const cols = job.cols;
  const snap = job.snapshot;
  const full = snap.table && typeof snap.table.block === 'function' && delim === ',' && eol === '\n' &&
    cols.length === snap.table.columns.length && cols.every((c, j) => c === j);
  /** Synthetic table, full projection: copy cached line blocks (runs of consecutive rows). */
  function* genCached() {
    yield Buffer.from(csv.line(job.header, delim) + eol);
    const idx = snap.indices;
    let pending = [];
    let plen = 0;
    let k = start;
    while (k < end) {
      const i = idx[k];
      const b = i >> 12;
      const blk = snap.table.block(b);
      let j = k + 1;
      while (j < end && idx[j] === idx[j - 1] + 1 && (idx[j] >> 12) === b) j++;
      const piece = blk.buf.subarray(blk.offs[i & 4095], blk.offs[(idx[j - 1] & 4095) + 1]);
      pending.push(piece);
      plen += piece.length;
      if (plen >= 1 << 20) { yield pending.length === 1 ? pending[0] : Buffer.concat(pending, plen); pending = []; plen = 0; }
      k = j;
    }
    if (plen) yield pending.length === 1 ? pending[0] : Buffer.concat(pending, plen);
  }
  /** Render the page into ~1 MB Buffers, header row first (line by line: fastest in V8). */
  function* genRender() {
    const SIZE = 1 << 20;
    let out = Buffer.allocUnsafe(SIZE);
    let off = out.write(csv.line(job.header, delim) + eol);
    for (let k = start; k < end; k++) {
      let ln = '';
      for (let j = 0; j < cols.length; j++) {
        const v = value(k, cols[j]);
        ln += (j ? delim : '') + (v.indexOf('"') < 0 ? '"' + v + '"' : '"' + v.replace(/"/g, '""') + '"');
      }
      ln += eol;
      if (off + ln.length * 3 > SIZE) {
        if (off) yield out.subarray(0, off);
        out = Buffer.allocUnsafe(Math.max(SIZE, ln.length * 3));
        off = 0;
      }
      off += out.write(ln, off);
    }
    if (off) yield out.subarray(0, off);
  }
  return {
    status: 200, contentType: CSV_TYPE, kind: 'csv', gen: full ? genCached : genRender,
    headers: { 'Sforce-Locator': end < total ? locatorFor(end) : 'null', 'Sforce-NumberOfRecords': String(end - start) },
  };
}

// ======================================================================= ingest jobs

/** Job info JSON of an ingest job. */
function ingestInfo(job, full) {
  const o = {
    id: job.id, operation: job.operation, object: job.object, createdById: ORG.userId,
    createdDate: sfTime(job.createdDate), systemModstamp: sfTime(job.systemModstamp), state: job.state,
    externalIdFieldName: job.externalIdFieldName || undefined,
    concurrencyMode: 'Parallel', contentType: 'CSV', apiVersion: job.apiVersion,
    contentUrl: job.state === 'Open' || !full ? job.contentUrl : undefined,
    lineEnding: job.lineEnding, columnDelimiter: job.columnDelimiter,
  };
  if (full) {
    Object.assign(o, {
      jobType: 'V2Ingest', numberRecordsProcessed: job.visibleProcessed(), numberRecordsFailed: job.visibleFailed(),
      retries: 0, totalProcessingTime: TERMINAL.has(job.state) ? 120 : 0, apiActiveProcessingTime: TERMINAL.has(job.state) ? 80 : 0,
      apexProcessingTime: 0,
    });
    if (job.state === 'Failed' && job.errorMessage) o.errorMessage = job.errorMessage;
  }
  return o;
}

/** POST jobs/ingest */
function createIngestJob(ctx) {
  const b = ctx.json;
  if (!b || typeof b !== 'object') return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
  const ops = ['insert', 'upsert', 'update', 'delete', 'hardDelete'];
  if (!ops.includes(b.operation)) return apiError(400, 'INVALIDJOB', "InvalidJob : Invalid operation: '" + b.operation + "'");
  if (!b.object) return apiError(400, 'INVALIDJOB', 'InvalidJob : Object is required');
  const def = ORG.def(b.object);
  if (!def) return apiError(400, 'INVALIDJOB', 'Unable to find object: ' + b.object);
  let ext = null;
  if (b.operation === 'upsert') {
    if (!b.externalIdFieldName) return apiError(400, 'INVALIDJOB', 'InvalidJob : External ID was blank for ' + def.name + '. An External ID must be specified for upsert.');
    ext = def.lower.get(String(b.externalIdFieldName).toLowerCase());
    if (!ext || !(ext === 'Id' || def.fields[ext].externalId)) {
      return apiError(400, 'INVALIDJOB', 'InvalidJob : The field ' + b.externalIdFieldName + ' is not an External ID field on ' + def.name);
    }
  }
  const delimName = b.columnDelimiter || 'COMMA';
  const eolName = b.lineEnding || 'LF';
  if (!(delimName in csv.DELIMITERS)) return apiError(400, 'INVALIDJOB', 'InvalidJob : Invalid columnDelimiter: ' + delimName);
  if (!(eolName in csv.LINE_ENDINGS)) return apiError(400, 'INVALIDJOB', 'InvalidJob : Invalid lineEnding: ' + eolName);
  if (b.contentType && b.contentType !== 'CSV') return apiError(400, 'INVALIDJOB', 'InvalidJob : Invalid contentType: ' + b.contentType);
  const now = Date.now();
  const id = newJobId();
  const job = {
    kind: 'ingest', id, operation: b.operation, object: def.name, def, externalIdFieldName: ext,
    createdDate: now, systemModstamp: now, state: 'Open', apiVersion: ctx.version,
    contentUrl: 'services/data/v' + ctx.versionText + '/jobs/ingest/' + id + '/batches',
    lineEnding: eolName, columnDelimiter: delimName, data: null, header: [],
    success: [], failed: [], unprocessed: [], pollsLeft: CFG.ingestPolls, finalState: 'JobComplete',
    failMessage: ctx.jobFailed || null, rejects: ctx.rejects.slice(),
    visibleProcessed() { return TERMINAL.has(this.state) ? this.success.length + this.failed.length : 0; },
    visibleFailed() { return TERMINAL.has(this.state) ? this.failed.length : 0; },
  };
  state.jobs.set(id, job);
  return jsonResp(200, ingestInfo(job, false));
}

/** PUT jobs/ingest/{id}/batches */
function uploadIngest(ctx, job, body) {
  const ct = (ctx.req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (ct && ct !== 'text/csv') return apiError(415, 'UNSUPPORTEDCONTENTTYPE', 'UnsupportedContentType : Content type ' + ct + ' is not supported; use text/csv');
  if (job.state !== 'Open') return apiError(400, 'INVALIDJOBSTATE', 'InvalidJobState : Job is not in the Open state; its state is ' + job.state);
  if (job.data !== null) {
    return apiError(400, 'INVALIDJOBSTATE', 'Found multiple contents for job: <' + job.id + ">, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.");
  }
  if (body === null || body.length > 150 * 1024 * 1024) return apiError(400, 'CLIENTINPUTERROR', 'ClientInputError : The upload is larger than 150 MB');
  job.data = body.toString('utf8');
  if (ctx.jobFailed) job.failMessage = ctx.jobFailed;
  job.rejects.push(...ctx.rejects);
  return { status: 201, headers: {}, body: Buffer.alloc(0) };
}

/** Fail a whole ingest job at processing time. */
function failIngest(job, message, rows) {
  job.finalState = 'Failed';
  job.failMessage = message;
  job.unprocessed = rows || [];
}

/**
 * Process an ingest job's CSV when it is closed: validate the header, then each
 * row (types, lengths, required fields, references, external ids), apply the
 * good rows to the org and keep result rows in a deterministic shuffled order.
 */
function processIngest(job) {
  const delim = csv.DELIMITERS[job.columnDelimiter];
  const eol = csv.LINE_ENDINGS[job.lineEnding];
  if (job.data === null) return; // closed with no data: JobComplete, 0 records
  const parsed = csv.parse(job.data, delim, eol);
  const rows = parsed.rows;
  job.header = rows.length ? rows.shift() : [];
  if (parsed.error) return failIngest(job, 'ClientInputError : Failed to parse CSV: ' + parsed.error, rows);
  if (job.failMessage) return failIngest(job, job.failMessage, rows);
  if (!job.header.length) return failIngest(job, 'ClientInputError : CSV has no header row', []);
  const def = job.def;
  const table = ORG.table(def.name);
  // header: every column must be a field of the object
  const fields = [];
  const seen = new Set();
  for (const h of job.header) {
    const f = def.lower.get(h.toLowerCase());
    if (!f) return failIngest(job, 'InvalidBatch : Field name not found : ' + h, rows);
    if (seen.has(f)) return failIngest(job, 'InvalidBatch : Duplicate field name: ' + h, rows);
    seen.add(f);
    fields.push(f);
  }
  const op = job.operation;
  if ((op === 'update' || op === 'delete' || op === 'hardDelete') && !seen.has('Id')) {
    return failIngest(job, 'InvalidBatch : Id field is required for ' + op, rows);
  }
  if (op === 'upsert' && !seen.has(job.externalIdFieldName)) {
    return failIngest(job, 'InvalidBatch : Field name not found : ' + job.externalIdFieldName, rows);
  }
  const col = (f) => table.colIndex.get(f.toLowerCase());
  const ext = job.externalIdFieldName;
  // external id values: existing records (live) and duplicates inside this job
  const uniqueFields = Object.keys(def.fields).filter((f) => def.fields[f].unique && seen.has(f));
  const existing = {};
  for (const f of uniqueFields) {
    const c = col(f);
    existing[f] = new Map();
    for (let i = 0; i < table.size(); i++) if (!table.isDeleted(i) && table.get(i, c) !== '') existing[f].set(table.get(i, c), i);
  }
  const extCount = new Map();
  if (op === 'upsert' && ext !== 'Id') {
    const k = fields.indexOf(ext);
    for (const r of rows) if (r.length === fields.length && r[k] !== '' && r[k] !== '#N/A') extCount.set(r[k], (extCount.get(r[k]) || 0) + 1);
  }
  const now = Date.now();
  const nowIso = new Date(now).toISOString();

  rows.forEach((orig, rowNo) => {
    const fail = (err, id = '') => job.failed.push({ rowNo, id, err, orig });
    if (orig.length !== fields.length) return fail('INVALID_FIELD:Number of values (' + orig.length + ') does not match the number of columns (' + fields.length + '):--');
    for (const r of job.rejects) {
      const k = fields.findIndex((f) => f.toLowerCase() === String(r.field).toLowerCase());
      if (k >= 0 && orig[k] === String(r.value)) return fail(r.error || 'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: ' + (orig[fields.indexOf('Id')] || makeId(def.prefix, 9)) + ':--');
    }
    // values: "" = not set, "#N/A" = null, else converted
    const set = new Map();
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k];
      const raw = orig[k];
      if (raw === '') continue;
      if (raw === '#N/A') { set.set(f, ''); continue; }
      if (f === 'Id') { set.set(f, raw); continue; }
      const fd = def.fields[f];
      if (fd.createable === false) {
        return fail('INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: ' + f + '. Please check the security settings of this field and verify that it is read/write for your profile or permission set.:' + f + ' --');
      }
      const cv = convert(fd, f, k, raw);
      if (cv.error) return fail(cv.error);
      set.set(f, cv.value);
    }
    // which record: insert, or an existing one for update/upsert/delete
    let target = -1;
    if (op === 'insert') {
      if (set.get('Id')) return fail('INVALID_FIELD_FOR_INSERT_UPDATE:cannot specify Id in an insert call:Id --');
    } else if (op === 'upsert' && ext !== 'Id') {
      const v = set.get(ext);
      if (!v) return fail('MISSING_ARGUMENT:' + ext + ' not specified:--');
      if (extCount.get(v) > 1) return fail('DUPLICATE_VALUE:Duplicate external id specified: ' + v + ':--');
      const e = existing[ext] && existing[ext].get(v);
      if (e !== undefined) target = e;
    } else {
      const idv = set.get('Id');
      const nid = normId(idv || '');
      if (!idv) {
        if (op !== 'upsert') return fail('MISSING_ARGUMENT:Id not specified in an ' + op + ' call:--');
      } else {
        if (!nid) return fail('MALFORMED_ID:malformed id ' + idv + ':Id --', idv);
        const i = table.find(nid);
        if (i === undefined) return fail('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--', nid);
        if (table.isDeleted(i)) return fail('ENTITY_IS_DELETED:entity is deleted:--', nid);
        target = i;
      }
      if (op === 'upsert' && target < 0 && idv) return fail('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--', idv);
    }
    const targetId = target >= 0 ? table.get(target, table.idCol) : '';
    if (op === 'delete' || op === 'hardDelete') {
      const row = table.rows[target].slice();
      row[col('IsDeleted')] = 'true';
      row[col('LastModifiedDate')] = nowIso;
      row[col('SystemModstamp')] = nowIso;
      table.replace(target, row);
      job.success.push({ rowNo, id: targetId, created: false, orig });
      return;
    }
    set.delete('Id');
    // defaults (insert only), then required fields
    if (target < 0) {
      for (const [f, fd] of Object.entries(def.fields)) {
        if (fd.default !== undefined && !set.has(f)) set.set(f, fd.default === '$user' ? ORG.userId : fd.default);
      }
    }
    const missing = [];
    for (const [f, fd] of Object.entries(def.fields)) {
      if (!fd.required) continue;
      const v = set.has(f) ? set.get(f) : target >= 0 ? table.get(target, col(f)) : '';
      if (v === '') missing.push(f);
    }
    if (missing.length) return fail('REQUIRED_FIELD_MISSING:Required fields are missing: [' + missing.join(', ') + ']:' + missing.join(' ') + ' --', targetId);
    // references
    for (const [f, v] of set) {
      if (v === '') continue;
      const fd = def.fields[f];
      if (fd.type === 'reference' && fd.refs) {
        const nid = normId(v);
        if (!nid || !ORG.isLive(nid, fd.refs, fd.activeUser)) return fail('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--', targetId);
        set.set(f, nid);
      } else if (fd.type === 'recordtype') {
        const nid = normId(v);
        const ok = ORG.recordTypes[def.name];
        if (!nid || !ok || !ok.has(nid)) return fail('INVALID_CROSS_REFERENCE_KEY:Record Type ID: this ID value isn\'t valid for the user: ' + v + ':RecordTypeId --', targetId);
        set.set(f, nid);
      }
    }
    // unique external ids on insert
    for (const f of uniqueFields) {
      const v = set.get(f);
      if (!v || (op === 'upsert' && f === ext)) continue;
      const e = existing[f].get(v);
      if (e !== undefined && e !== target) return fail('DUPLICATE_VALUE:duplicate value found: ' + f + ' duplicates value on record with id: ' + table.get(e, table.idCol) + ':--', targetId);
    }
    // apply
    let row;
    let created;
    if (target < 0) {
      row = new Array(table.columns.length).fill('');
      row[table.idCol] = ORG.newId(def);
      row[col('CreatedDate')] = nowIso;
      row[col('CreatedById')] = ORG.userId;
      row[col('IsDeleted')] = 'false';
      created = true;
    } else {
      row = table.rows[target].slice();
      created = false;
    }
    for (const [f, v] of set) row[col(f)] = v;
    row[col('LastModifiedDate')] = nowIso;
    row[col('LastModifiedById')] = ORG.userId;
    row[col('SystemModstamp')] = nowIso;
    if (def.name === 'Task') deriveTask(table, row);
    if (target < 0) target = table.append(row); else table.replace(target, row);
    for (const f of uniqueFields) if (row[col(f)]) existing[f].set(row[col(f)], target);
    job.success.push({ rowNo, id: row[table.idCol], created, orig });
  });
  // Salesforce gives no order guarantee: shuffle deterministically
  const seed = hash32(job.id.length, job.id.charCodeAt(12) * 977 + job.id.charCodeAt(14));
  const byHash = (a, b) => hash32(a.rowNo, seed) - hash32(b.rowNo, seed) || a.rowNo - b.rowNo;
  job.success.sort(byHash);
  job.failed.sort(byHash);
}

/** Task's read-only fields derived from others: AccountId, IsClosed, IsHighPriority. */
function deriveTask(table, row) {
  const c = (f) => table.colIndex.get(f.toLowerCase());
  let acc = '';
  const what = row[c('WhatId')] || '';
  const who = row[c('WhoId')] || '';
  if (what.startsWith('001')) acc = what;
  else if (what.startsWith('006')) { const o = ORG.table('Opportunity'); const i = o && o.find(what); if (i !== undefined) acc = o.get(i, o.colIndex.get('accountid')) || ''; }
  if (!acc && who.startsWith('003')) { const t = ORG.table('Contact'); const i = t && t.find(who); if (i !== undefined && t.colIndex.has('accountid')) acc = t.get(i, t.colIndex.get('accountid')); }
  row[c('AccountId')] = acc;
  row[c('IsClosed')] = row[c('Status')] === 'Completed' ? 'true' : 'false';
  row[c('IsHighPriority')] = row[c('Priority')] === 'High' ? 'true' : 'false';
  row[c('IsArchived')] = 'false';
}

/** PATCH jobs/ingest/{id} or jobs/query/{id}: close or abort. */
function patchJob(ctx, job) {
  const b = ctx.json;
  if (!b || typeof b !== 'object') return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
  const info = () => jsonResp(200, job.kind === 'query' ? queryInfo(job, false) : ingestInfo(job, false));
  if (b.state === 'Aborted') {
    const abortable = job.kind === 'query' ? ['UploadComplete', 'InProgress'] : ['Open', 'UploadComplete', 'InProgress'];
    if (!abortable.includes(job.state)) {
      return apiError(400, 'INVALIDJOBSTATE', 'Aborting already ' + (job.state === 'JobComplete' ? 'Completed' : job.state) + ' Job not allowed');
    }
    if (job.kind === 'ingest' && job.state === 'Open' && job.data !== null) {
      job.unprocessed = csv.parse(job.data, csv.DELIMITERS[job.columnDelimiter], csv.LINE_ENDINGS[job.lineEnding]).rows;
      job.header = job.unprocessed.shift() || [];
    }
    job.state = 'Aborted';
    job.systemModstamp = Date.now();
    return info();
  }
  if (b.state === 'UploadComplete' && job.kind === 'ingest') {
    if (job.state !== 'Open') return apiError(400, 'INVALIDJOBSTATE', 'InvalidJobState : Job is not in the Open state; its state is ' + job.state);
    if (ctx.jobFailed) job.failMessage = ctx.jobFailed;
    job.rejects.push(...ctx.rejects);
    job.state = 'UploadComplete';
    job.systemModstamp = Date.now();
    processIngest(job);
    return info();
  }
  return apiError(400, 'INVALIDJOBSTATE', 'InvalidJobState : Cannot change the state of job ' + job.id + ' to ' + b.state);
}

/** GET jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords */
function ingestResults(ctx, job, which) {
  const delim = csv.DELIMITERS[job.columnDelimiter];
  const eol = csv.LINE_ENDINGS[job.lineEnding];
  const done = TERMINAL.has(job.state);
  let head;
  let lines;
  if (which === 'successfulResults') {
    head = ['sf__Id', 'sf__Created', ...job.header];
    lines = done ? job.success.map((r) => [r.id, String(r.created), ...r.orig]) : [];
  } else if (which === 'failedResults') {
    head = ['sf__Id', 'sf__Error', ...job.header];
    lines = done ? job.failed.map((r) => [r.id, r.err, ...r.orig]) : [];
  } else {
    head = job.header;
    lines = done ? job.unprocessed : [];
  }
  let text = head.length ? csv.line(head, delim) + eol : '';
  for (const l of lines) text += csv.line(l, delim) + eol;
  return { status: 200, contentType: CSV_TYPE, kind: 'csv', body: Buffer.from(text), headers: {} };
}

// ======================================================================= API routing

/** Route name for stats (ids replaced by {id}). */
function routeName(method, rest) {
  return method + ' ' + rest.replace(/\/750[A-Za-z0-9]{12,15}/, '/{id}').replace(/\/$/, '');
}

/** Handle /services/data/vNN.N/...; returns a response object. */
function apiRoute(ctx, body) {
  const { req } = ctx;
  const m = /^\/services\/data\/v(\d+)\.(\d+)(\/.*)?$/.exec(ctx.url.pathname);
  if (!m) {
    if (/^\/services\/data\/?$/.test(ctx.url.pathname)) {
      return jsonResp(200, [47, 50, 55, 58, 59, 60, 61, 62].map((v) => ({ label: 'v' + v, url: '/services/data/v' + v + '.0', version: v + '.0' })));
    }
    return NOT_FOUND();
  }
  ctx.version = Number(m[1] + '.' + m[2]);
  ctx.versionText = m[1] + '.' + m[2];
  const rest = (m[3] || '/').replace(/\/+$/, '') || '/';
  const method = req.method;
  const allow = (list) => apiError(405, 'METHOD_NOT_ALLOWED', "HTTP Method '" + method + "' not allowed. Allowed are " + list);
  if (rest === '/limits') {
    if (method !== 'GET') return allow('GET,HEAD');
    return jsonResp(200, { DailyApiRequests: { Max: state.usage.max, Remaining: Math.max(0, state.usage.max - state.usage.used) } });
  }
  let mm = /^\/jobs\/(query|ingest)$/.exec(rest);
  if (mm) {
    if (method === 'POST') return mm[1] === 'query' ? createQueryJob(ctx, body) : createIngestJob(ctx);
    if (method === 'GET') {
      const recs = [...state.jobs.values()].filter((j) => j.kind === mm[1]).map((j) => {
        const o = j.kind === 'query' ? queryInfo(j, false) : ingestInfo(j, false);
        o.jobType = j.kind === 'query' ? 'V2Query' : 'V2Ingest';
        return o;
      });
      return jsonResp(200, { done: true, records: recs, nextRecordsUrl: null });
    }
    return allow('GET,POST');
  }
  mm = /^\/jobs\/(query|ingest)\/([A-Za-z0-9]+)(?:\/(results|batches|successfulResults|failedResults|unprocessedrecords))?$/.exec(rest);
  if (!mm) return NOT_FOUND();
  const job = state.jobs.get(mm[2].length === 15 ? normId(mm[2]) : mm[2]);
  if (!job || job.kind !== mm[1]) return NOT_FOUND();
  ctx.job = job;
  // faults that name an existing job
  if (ctx.jobFailed && !TERMINAL.has(job.state)) { job.failMessage = ctx.jobFailed; job.finalState = 'Failed'; }
  const sub = mm[3];
  if (!sub) {
    if (method === 'GET') {
      advance(job);
      return jsonResp(200, job.kind === 'query' ? queryInfo(job, true) : ingestInfo(job, true));
    }
    if (method === 'PATCH') return patchJob(ctx, job);
    if (method === 'DELETE') {
      if (!TERMINAL.has(job.state) && !(job.kind === 'ingest' && job.state === 'UploadComplete')) {
        return apiError(400, 'API_ERROR', 'Error encountered when deleting the job because the job is not terminated');
      }
      state.jobs.delete(job.id);
      return { status: 204, headers: {}, body: Buffer.alloc(0) };
    }
    return allow('GET,PATCH,DELETE');
  }
  if (sub === 'results' && job.kind === 'query') return method === 'GET' ? queryResults(ctx, job) : allow('GET');
  if (sub === 'batches' && job.kind === 'ingest') return method === 'PUT' ? uploadIngest(ctx, job, body) : allow('PUT');
  if (job.kind === 'ingest' && sub !== 'results' && sub !== 'batches') return method === 'GET' ? ingestResults(ctx, job, sub) : allow('GET');
  return NOT_FOUND();
}

// ======================================================================= faults

const DEFAULT_FAULT_BODIES = {
  400: [{ errorCode: 'API_DISABLED_FOR_ORG', message: 'API is not enabled for this Organization or Partner' }],
  401: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
  403: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }],
  404: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
  429: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'ConcurrentPerOrgLongTxn Limit exceeded.' }],
  500: [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)' }],
  502: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Bad gateway' }],
  503: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Server temporarily unavailable, please retry later' }],
  504: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Gateway timeout' }],
};
const ACTIONS = new Set(['status', 'reset', 'slow', 'truncate_gzip', 'expire_token', 'job_failed', 'reject_rows', 'malformed']);

/** Validate and store fault rules from POST /__control/faults. */
function addFaults(list) {
  if (!Array.isArray(list)) throw new Error('faults must be an array');
  const added = list.map((f) => {
    if (!f || !ACTIONS.has(f.action)) throw new Error('unknown fault action: ' + (f && f.action));
    if (f.action === 'status' && !Number.isInteger(f.status)) throw new Error('status fault needs an integer status');
    if (f.action === 'reject_rows' && (f.field === undefined || f.value === undefined)) throw new Error('reject_rows needs field and value');
    return { ...f, re: new RegExp(f.path || ''), count: f.count === undefined ? 1 : f.count, skip: f.skip || 0, fired: 0 };
  });
  state.faults.push(...added);
  return added.length;
}

/** Rules that fire for this request (consuming skip/count). */
function matchFaults(method, pathQuery) {
  const fired = [];
  for (const f of state.faults) {
    if (f.count <= 0) continue;
    if (f.method && f.method.toUpperCase() !== method) continue;
    if (!f.re.test(pathQuery)) continue;
    if (f.skip > 0) { f.skip -= 1; continue; }
    f.count -= 1;
    f.fired += 1;
    fired.push(f);
  }
  return fired;
}

/** The body of a "malformed" answer: broken JSON or broken CSV. */
function malform(r, rule) {
  const out = { ...r, status: 200, headers: { ...r.headers }, gen: null };
  if (rule.body !== undefined) { out.body = Buffer.from(String(rule.body)); return out; }
  if (r.kind === 'csv') {
    out.body = Buffer.from('"Id","Name"\n"0035g00000BrOKeNAA","unterminated value\n"0035g00000BrOKfNAA",extra","x"\n');
    out.contentType = CSV_TYPE;
  } else {
    out.body = Buffer.from('{"id":"7505g00000BrOKeNAA","state":"JobComplete","object":<html>');
    out.contentType = JSON_TYPE;
  }
  return out;
}

// ======================================================================= sending

/** Wait until the response can take more data (or was closed). */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Iterate Buffers: a body, or a generator; gzip them when asked. */
async function* source(r, gzip) {
  const raw = r.gen ? r.gen() : r.body && r.body.length ? [r.body] : [];
  if (!gzip) { yield* raw; return; }
  const gz = zlib.createGzip({ level: CFG.gzipLevel });
  Readable.from(raw).pipe(gz);
  for await (const c of gz) yield c;
}

/** Send a response object, applying gzip, Sforce headers and the output faults. */
async function send(ctx, r) {
  const { req, res } = ctx;
  const faults = ctx.outFaults;
  if (faults.malformed) r = malform(r, faults.malformed);
  const headers = { ...r.headers };
  if (ctx.api) headers['Sforce-Limit-Info'] = 'api-usage=' + state.usage.used + '/' + state.usage.max;
  if (r.contentType) headers['Content-Type'] = r.contentType;
  const hasBody = !!(r.gen || (r.body && r.body.length));
  let gzip = hasBody && ctx.api && /\bgzip\b/i.test(req.headers['accept-encoding'] || '');
  const trunc = faults.truncate_gzip;
  if (trunc && hasBody) gzip = true;
  if (gzip) { headers['Content-Encoding'] = 'gzip'; headers.Vary = 'Accept-Encoding'; if (ctx.api) state.stats.gzip_responses += 1; }
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v);
  if (req.method === 'HEAD') { res.end(); return; }

  if (faults.reset || trunc) {
    // buffer the (encoded) body, send part of it, then cut the connection
    let total = [];
    let n = 0;
    const cap = Math.max(64 * 1024 * 1024, 0);
    for await (const c of source(r, gzip)) { total.push(c); n += c.length; if (n > cap) break; }
    total = Buffer.concat(total);
    const rule = faults.reset || trunc;
    const limit = Math.min(total.length, rule.bytes !== undefined ? rule.bytes : Math.floor(total.length / 2));
    if (faults.reset) {
      if (!r.gen && !gzip) res.setHeader('Content-Length', total.length);
      res.flushHeaders();
      res.write(total.subarray(0, limit), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.setHeader('Connection', 'close');
    res.end(total.subarray(0, limit));
    return;
  }
  if (!r.gen && !gzip) {
    res.setHeader('Content-Length', r.body ? r.body.length : 0);
    res.end(r.body && r.body.length ? r.body : undefined);
    return;
  }
  for await (const c of source(r, gzip)) {
    if (res.destroyed) return;
    if (!res.write(c)) await drained(res);
  }
  res.end();
}

// ======================================================================= control interface

/** /__control/...: JSON in, JSON out, no auth. */
function control(ctx, body) {
  const { req } = ctx;
  const p = ctx.url.pathname.replace(/\/+$/, '');
  const m = req.method;
  let json = null;
  if (body.length) {
    try { json = JSON.parse(body.toString('utf8')); } catch (e) { return jsonResp(400, { error: 'invalid JSON: ' + e.message }); }
  }
  if (p === '/__control/stats' && m === 'GET') return jsonResp(200, { ...state.stats, api_usage: state.usage.used, api_max: state.usage.max });
  if (p === '/__control/requests' && m === 'GET') return jsonResp(200, state.log);
  if (p === '/__control/faults' && m === 'GET') {
    return jsonResp(200, state.faults.map(({ re, ...f }) => f));
  }
  if (p === '/__control/faults' && m === 'POST') {
    try { return jsonResp(200, { added: addFaults(json && json.faults) }); } catch (e) { return jsonResp(400, { error: e.message }); }
  }
  if (p === '/__control/faults' && m === 'DELETE') { state.faults = []; return jsonResp(200, { ok: true }); }
  if (p === '/__control/api_usage' && m === 'POST') {
    if (json && json.used !== undefined) state.usage.used = Number(json.used);
    if (json && json.max !== undefined) state.usage.max = Number(json.max);
    return jsonResp(200, state.usage);
  }
  if (p === '/__control/reset' && m === 'POST') {
    state.faults = [];
    state.log = [];
    state.stats = { api_requests: 0, token_requests: 0, gzip_responses: 0, by_route: {} };
    state.usage.used = 0;
    return jsonResp(200, { ok: true });
  }
  if (p === '/__control/tokens/expire' && m === 'POST') {
    let n = 0;
    for (const t of state.access.values()) if (!t.revoked && t.expiresAt > 0) { t.expiresAt = 0; n++; }
    return jsonResp(200, { expired: n });
  }
  if (p === '/__control/tokens/refresh_token' && m === 'POST') {
    const t = '5Aep861' + randomToken(60);
    state.refresh.set(t, { revoked: false });
    return jsonResp(200, { refresh_token: t });
  }
  if (p === '/__control/jobs' && m === 'GET') {
    return jsonResp(200, [...state.jobs.values()].map((j) => {
      const o = j.kind === 'query' ? queryInfo(j, true) : ingestInfo(j, true);
      o.kind = j.kind;
      if (j.kind === 'query') o.query = j.query;
      return o;
    }));
  }
  let mm = /^\/__control\/records\/([A-Za-z0-9_]+)$/.exec(p);
  if (mm && m === 'GET') {
    const t = ORG.table(mm[1]);
    if (!t) return jsonResp(404, { error: 'no such object: ' + mm[1] });
    if (!(t instanceof Table)) return jsonResp(400, { error: 'synthetic table ' + t.name + ' is not listed' });
    return jsonResp(200, t.toObjects());
  }
  if (p === '/__control/shutdown' && m === 'POST') {
    setTimeout(() => shutdown(0), 50);
    return jsonResp(200, { ok: true });
  }
  return jsonResp(404, { error: 'unknown control endpoint ' + m + ' ' + p });
}

// ======================================================================= server

let active = 0;
let lastActivity = Date.now();

/** Handle one request end to end. */
async function handle(req, res) {
  active += 1;
  lastActivity = Date.now();
  const url = new URL(req.url, 'http://x');
  const pathQuery = url.pathname + url.search;
  const ctx = { req, res, url, api: false, outFaults: {}, jobFailed: null, rejects: [], json: null };
  const isControl = url.pathname.startsWith('/__control/');
  let entry = null;
  res.on('close', () => {
    active -= 1;
    lastActivity = Date.now();
    if (entry) entry.status = res.headersSent ? res.statusCode : 0;
    log(req.method + ' ' + pathQuery + ' ' + (res.headersSent ? res.statusCode : 'aborted'));
  });
  try {
    const body = await readBody(req);
    if (isControl) { await send(ctx, control(ctx, body || Buffer.alloc(0))); return; }
    entry = { method: req.method, path: pathQuery, status: 0 };
    state.log.push(entry);
    const isOauth = url.pathname.startsWith('/services/oauth2/');
    ctx.api = url.pathname.startsWith('/services/data');
    if (ctx.api) state.stats.api_requests += 1;
    if (isOauth) state.stats.token_requests += 1;
    const rn = ctx.api ? routeName(req.method, url.pathname.replace(/^\/services\/data\/v[\d.]+/, '')) : req.method + ' ' + url.pathname;
    state.stats.by_route[rn] = (state.stats.by_route[rn] || 0) + 1;

    // faults that act before the request is handled
    for (const f of matchFaults(req.method, pathQuery)) {
      switch (f.action) {
        case 'slow': await sleep(f.delay_ms || 1000); break;
        case 'expire_token': for (const t of state.access.values()) t.expiresAt = 0; break;
        case 'job_failed': ctx.jobFailed = f.error_message || f.errorMessage || 'InternalServerError : An internal server error occurred while processing the job'; break;
        case 'reject_rows': ctx.rejects.push({ field: f.field, value: f.value, error: f.error }); break;
        case 'status': {
          if (ctx.statusFault) break;
          ctx.statusFault = f;
          break;
        }
        default: ctx.outFaults[f.action] = f; // reset, truncate_gzip, malformed
      }
    }
    if (ctx.statusFault) {
      const f = ctx.statusFault;
      const hdrs = { ...(f.headers || {}) };
      if (f.retry_after !== undefined) hdrs['Retry-After'] = String(f.retry_after);
      let r;
      if (f.raw_body !== undefined) r = { status: f.status, headers: hdrs, body: Buffer.from(String(f.raw_body)), contentType: f.content_type || 'text/html;charset=UTF-8' };
      else {
        const b = f.body !== undefined ? f.body : DEFAULT_FAULT_BODIES[f.status] || [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'HTTP ' + f.status }];
        r = jsonResp(f.status, b, hdrs);
      }
      await send(ctx, r);
      return;
    }
    if (body === null) { await send(ctx, apiError(413, 'REQUEST_ENTITY_TOO_LARGE', 'Request body too large')); return; }
    if (url.pathname === '/services/oauth2/token') { await send(ctx, tokenEndpoint(req, body)); return; }
    if (url.pathname === '/services/oauth2/revoke') { await send(ctx, revokeEndpoint(req, body)); return; }
    if (!ctx.api) { await send(ctx, NOT_FOUND()); return; }
    if (!authorized(req)) { await send(ctx, INVALID_SESSION()); return; }
    state.usage.used += 1;
    if (state.usage.used > state.usage.max) { await send(ctx, apiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.')); return; }
    if (body.length && /json/i.test(req.headers['content-type'] || 'application/json') && req.method !== 'PUT') {
      try { ctx.json = JSON.parse(body.toString('utf8')); } catch (e) {
        await send(ctx, apiError(400, 'JSON_PARSER_ERROR', 'Unexpected character: was expecting a JSON value at [line:1, column:1]'));
        return;
      }
    }
    await send(ctx, apiRoute(ctx, body));
  } catch (e) {
    log('internal error: ' + (e && e.stack));
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader('Content-Type', JSON_TYPE);
      res.end(JSON.stringify([{ errorCode: 'UNKNOWN_EXCEPTION', message: 'emulator error: ' + e.message }]));
    } else res.destroy();
  }
}

/** Write tables that ingest jobs wrote to (dump_dir/Object.csv), if configured. */
function dump() {
  if (!CFG.dumpDir) return;
  fs.mkdirSync(CFG.dumpDir, { recursive: true });
  for (const name of Object.keys(ORG.defs)) {
    const t = ORG.table(name);
    if (!(t instanceof Table) || !t.size()) continue;
    const text = [t.columns, ...t.rows].map((r) => csv.line(r)).join('\n') + '\n';
    fs.writeFileSync(path.join(CFG.dumpDir, name + '.csv'), text);
  }
}

let server;
/** Stop listening and exit. */
function shutdown(code) {
  try { dump(); } catch (e) { log('dump failed: ' + e.message); }
  if (server) server.close();
  process.exit(code);
}

function main() {
  if (CFG.warm) {
    const t0 = Date.now();
    for (const t of ORG.tables.values()) if (typeof t.warm === 'function') t.warm();
    log('pre-rendered synthetic tables in ' + (Date.now() - t0) + ' ms');
  }
  const onReq = (req, res) => { handle(req, res); };
  if (CFG.http) server = http.createServer(onReq);
  else {
    if (!CFG.tlsCert || !CFG.tlsKey) throw new Error('tls_cert and tls_key are required unless --http');
    server = https.createServer({ cert: fs.readFileSync(CFG.tlsCert), key: fs.readFileSync(CFG.tlsKey) }, onReq);
  }
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 0;
  server.listen(CFG.port, CFG.host, () => {
    const port = server.address().port;
    BASE_URL = (CFG.http ? 'http' : 'https') + '://' + (CFG.host === '0.0.0.0' ? '127.0.0.1' : CFG.host) + ':' + port;
    process.stdout.write(JSON.stringify({ url: BASE_URL, pid: process.pid }) + '\n');
    log('listening on ' + BASE_URL + ' (org: ' + [...ORG.tables.values()].map((t) => t.name + '=' + t.size()).join(' ') + ')');
  });
  if (CFG.idleTimeout > 0) {
    setInterval(() => {
      if (active === 0 && Date.now() - lastActivity > CFG.idleTimeout * 1000) { log('idle timeout, exiting'); shutdown(0); }
    }, Math.min(1000, CFG.idleTimeout * 1000)).unref();
  }
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
}

main();
