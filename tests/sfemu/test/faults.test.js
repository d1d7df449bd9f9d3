'use strict';
// Every fault action of POST /__control/faults, plus count/skip and the
// control endpoints (stats, requests, reset).  Node's https only.
const test = require('node:test');
const assert = require('node:assert/strict');
const { start, parseCsv, V, zlib } = require('../testkit');

let emu;
let tok;
test.before(async () => { emu = start(['--query-polls', '0']); tok = await emu.token(); });
test.after(() => emu && emu.stop());
test.beforeEach(async () => { await emu.control('POST', 'reset'); });

const faults = (list) => emu.control('POST', 'faults', { faults: list });

test('status: 503, then 429 with Retry-After, honouring count and skip', async () => {
  await faults([{ method: 'GET', path: '/jobs/query$', action: 'status', status: 503, count: 2, skip: 1 }]);
  const s = [];
  for (let i = 0; i < 4; i++) s.push((await emu.request('GET', V + '/jobs/query', { token: tok })).status);
  assert.deepEqual(s, [200, 503, 503, 200]);
  await faults([{ path: '/jobs/query', action: 'status', status: 429, retry_after: 7 }]);
  const r = await emu.request('GET', V + '/jobs/query', { token: tok });
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '7');
  assert.match(r.headers['sforce-limit-info'], /^api-usage=/);
});

test('status: custom bodies (403 REQUEST_LIMIT_EXCEEDED default, 400 API_DISABLED_FOR_ORG default, explicit body)', async () => {
  await faults([
    { path: '/limits', action: 'status', status: 403 },
    { path: '/limits', action: 'status', status: 400, skip: 1 },
    { path: '/limits', action: 'status', status: 500, body: [{ errorCode: 'X', message: 'y' }], skip: 2 },
  ]);
  const a = await emu.request('GET', V + '/limits', { token: tok });
  assert.equal(emu.json(a)[0].errorCode, 'REQUEST_LIMIT_EXCEEDED');
  const b = await emu.request('GET', V + '/limits', { token: tok });
  assert.equal(b.status, 400);
  assert.equal(emu.json(b)[0].errorCode, 'API_DISABLED_FOR_ORG');
  const c = await emu.request('GET', V + '/limits', { token: tok });
  assert.deepEqual([c.status, emu.json(c)], [500, [{ errorCode: 'X', message: 'y' }]]);
});

test('status on the token endpoint', async () => {
  await faults([{ method: 'POST', path: '^/services/oauth2/token', action: 'status', status: 503 }]);
  await assert.rejects(emu.token(), /token: 503/);
  assert.ok(await emu.token());
});

test('reset: headers and part of the body, then the connection drops', async () => {
  const id = await emu.queryJob(tok, 'SELECT Id, Name, Email FROM Contact');
  const full = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok });
  await faults([{ path: '/results', action: 'reset' }]);
  const r = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok });
  assert.equal(r.status, 200);
  assert.ok(r.error, 'the client sees an error');
  assert.ok(r.body.length > 0 && r.body.length < full.body.length, 'part of the body: ' + r.body.length);
  const again = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok });
  assert.deepEqual(again.body, full.body, 'count 1: next request is fine');
});

test('slow: delay_ms before answering', async () => {
  await faults([{ path: '/jobs/query$', action: 'slow', delay_ms: 400 }]);
  const t0 = Date.now();
  const r = await emu.request('GET', V + '/jobs/query', { token: tok });
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 380, 'delayed');
});

test('truncate_gzip: a gzip body cut short, then the connection is closed', async () => {
  const id = await emu.queryJob(tok, 'SELECT Id, Name, Email FROM Contact');
  await faults([{ path: '/results', action: 'truncate_gzip' }]);
  const r = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok, headers: { 'accept-encoding': 'gzip' } });
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.equal(r.headers.connection, 'close');
  assert.throws(() => zlib.gunzipSync(r.body), /unexpected end of file/);
});

test('expire_token: this request gets 401 INVALID_SESSION_ID, the refresh token still works', async () => {
  await faults([{ path: '/jobs/query$', action: 'expire_token' }]);
  const r = await emu.request('GET', V + '/jobs/query', { token: tok });
  assert.equal(r.status, 401);
  assert.equal(emu.json(r)[0].errorCode, 'INVALID_SESSION_ID');
  assert.equal((await emu.request('GET', V + '/jobs/query', { token: tok })).status, 401, 'stays expired');
  const fs = require('fs');
  const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: emu.env.SFEMU_CLIENT_ID, refresh_token: fs.readFileSync(emu.env.SFEMU_REFRESH_TOKEN_FILE, 'utf8') });
  const t = await emu.request('POST', '/services/oauth2/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  assert.equal(t.status, 200);
  tok = emu.json(t).access_token;
  assert.equal((await emu.request('GET', V + '/jobs/query', { token: tok })).status, 200);
});

test('POST /__control/tokens/expire expires every access token', async () => {
  const mine = await emu.token();
  assert.equal((await emu.control('POST', 'tokens/expire')).expired >= 1, true);
  assert.equal((await emu.request('GET', V + '/jobs/query', { token: mine })).status, 401);
  tok = await emu.token();
});

test('job_failed: query job created by the matching request ends Failed with errorMessage', async () => {
  await faults([{ method: 'POST', path: '/jobs/query$', action: 'job_failed', error_message: 'InternalServerError : boom' }]);
  const id = await emu.queryJob(tok, 'SELECT Id FROM Account');
  const info = emu.json(await emu.request('GET', V + '/jobs/query/' + id, { token: tok }));
  assert.equal(info.state, 'Failed');
  assert.equal(info.errorMessage, 'InternalServerError : boom');
});

test('job_failed: ingest job ends Failed, all rows unprocessed', async () => {
  const r = await emu.ingest(tok, { object: 'Task', operation: 'insert' }, 'Subject,Status\na,Completed\nb,Completed\n',
    [{ method: 'PUT', path: '/batches$', action: 'job_failed' }]);
  assert.equal(r.info.state, 'Failed');
  assert.ok(r.info.errorMessage);
  assert.equal(parseCsv(r.unprocessed).length, 3);
  assert.equal(parseCsv(r.success).length, 1);
});

test('reject_rows: rows whose field equals value fail with the given error', async () => {
  const r = await emu.ingest(tok, { object: 'Task', operation: 'insert' }, 'Subject,Status\nkeep,Completed\nlocked,Completed\nkeep2,Completed\n',
    [{ method: 'PATCH', path: '/jobs/ingest/', action: 'reject_rows', field: 'Subject', value: 'locked', error: 'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--' }]);
  assert.equal(r.info.state, 'JobComplete');
  assert.equal(r.info.numberRecordsFailed, 1);
  const f = parseCsv(r.failed);
  assert.deepEqual(f[0], ['sf__Id', 'sf__Error', 'Subject', 'Status']);
  assert.deepEqual(f[1], ['', 'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--', 'locked', 'Completed']);
});

test('malformed: 200 with broken JSON, or broken CSV on results', async () => {
  await faults([{ path: '/jobs/query$', action: 'malformed' }]);
  const r = await emu.request('POST', V + '/jobs/query', { token: tok, body: { operation: 'query', query: 'SELECT Id FROM Account' } });
  assert.equal(r.status, 200);
  assert.throws(() => JSON.parse(r.body.toString()));
  const id = await emu.queryJob(tok, 'SELECT Id FROM Account');
  await faults([{ path: '/results', action: 'malformed' }]);
  const c = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok });
  assert.equal(c.status, 200);
  assert.ok(require('../lib/csv').parse(c.body.toString()).error, 'CSV does not parse');
});

test('control: stats, requests (no tokens), reset, faults list', async () => {
  await emu.request('GET', V + '/jobs/query', { token: tok });
  await emu.request('GET', V + '/jobs/query?x=1', { token: tok });
  await emu.token();
  const s = await emu.control('GET', 'stats');
  assert.equal(s.api_requests, 2);
  assert.equal(s.token_requests, 1);
  assert.equal(s.by_route['GET /jobs/query'], 2);
  assert.equal(typeof s.api_usage, 'number');
  const log = await emu.control('GET', 'requests');
  assert.deepEqual(log.map((e) => [e.method, e.path, e.status]), [
    ['GET', '/services/data/v58.0/jobs/query', 200], ['GET', '/services/data/v58.0/jobs/query?x=1', 200], ['POST', '/services/oauth2/token', 200]]);
  assert.ok(!JSON.stringify(log).includes(tok));
  await faults([{ path: 'x', action: 'slow', count: 3 }]);
  assert.equal((await emu.control('GET', 'faults'))[0].count, 3);
  await emu.control('POST', 'reset');
  assert.deepEqual(await emu.control('GET', 'faults'), []);
  assert.equal((await emu.control('GET', 'stats')).api_requests, 0);
  const bad = await emu.request('POST', '/__control/faults', { body: { faults: [{ action: 'nope' }] } });
  assert.equal(bad.status, 400);
});
