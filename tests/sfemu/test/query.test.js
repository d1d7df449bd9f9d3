'use strict';
// Bulk API 2.0 query jobs: states, paging with maxRecords and locators, gzip,
// version check, SOQL subset and errors, API usage.  Node's https only.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { start, parseCsv, V, ORG, zlib } = require('../testkit');

let emu;
let tok;
test.before(async () => { emu = start(); tok = await emu.token(); });
test.after(() => emu && emu.stop());

const contacts = parseCsv(fs.readFileSync(path.join(ORG, 'Contact.csv'), 'utf8'));

test('job states: UploadComplete -> InProgress (1 poll) -> JobComplete; results only when complete', async () => {
  const c = await emu.request('POST', V + '/jobs/query', { token: tok, body: { operation: 'query', query: 'SELECT Id FROM Contact' } });
  assert.equal(c.status, 200);
  const job = emu.json(c);
  assert.equal(job.state, 'UploadComplete');
  assert.match(job.id, /^750[A-Za-z0-9]{15}$/);
  assert.match(c.body.toString(), /"apiVersion":58\.0/);
  const early = await emu.request('GET', V + '/jobs/query/' + job.id + '/results', { token: tok });
  assert.equal(early.status, 400);
  assert.equal(emu.json(early)[0].errorCode, 'JOB_NOT_COMPLETE');
  assert.equal(emu.json(await emu.request('GET', V + '/jobs/query/' + job.id, { token: tok })).state, 'InProgress');
  const done = emu.json(await emu.request('GET', V + '/jobs/query/' + job.id, { token: tok }));
  assert.equal(done.state, 'JobComplete');
  assert.equal(done.numberRecordsProcessed, contacts.length - 1 - 3);
  assert.match(done.createdDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
});

test('paging: maxRecords pages with header rows, opaque re-fetchable locators, literal null at the end', async () => {
  const id = await emu.queryJob(tok, 'SELECT Id, FirstName, Description, IsDeleted FROM Contact', 'queryAll');
  const single = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok });
  assert.equal(single.headers['sforce-locator'], 'null');
  assert.equal(single.headers['sforce-numberofrecords'], String(contacts.length - 1));
  assert.match(single.headers['content-type'], /^text\/csv/);
  const all = single.body.toString('utf8');
  const lines = all.split('\n');
  assert.equal(lines[0], '"Id","FirstName","Description","IsDeleted"');
  const line = require('../lib/csv').line;
  assert.equal(parseCsv(all).map((r) => line(r)).join('\n') + '\n', all, 'every value quoted, empty = ""');
  let locator = null;
  const rows = [];
  const sizes = [];
  const locators = [];
  do {
    const r = await emu.request('GET', V + '/jobs/query/' + id + '/results?maxRecords=50' + (locator ? '&locator=' + locator : ''), { token: tok });
    assert.equal(r.status, 200);
    const page = parseCsv(r.body.toString('utf8'));
    assert.deepEqual(page[0], ['Id', 'FirstName', 'Description', 'IsDeleted'], 'header on every page');
    assert.equal(Number(r.headers['sforce-numberofrecords']), page.length - 1);
    sizes.push(page.length - 1);
    rows.push(...page.slice(1));
    locator = r.headers['sforce-locator'];
    locators.push(locator);
  } while (locator !== 'null');
  assert.deepEqual(sizes, [50, 50, 50, 10]);
  assert.deepEqual(rows, parseCsv(all).slice(1), 'pages add up to the single page');
  assert.ok(locators.slice(0, -1).every((l) => /^[A-Za-z0-9]+$/.test(l) && l !== '50'), 'opaque locators');
  // a locator is stable and can be fetched again
  const a = await emu.request('GET', V + '/jobs/query/' + id + '/results?maxRecords=50&locator=' + locators[1], { token: tok });
  const b = await emu.request('GET', V + '/jobs/query/' + id + '/results?maxRecords=50&locator=' + locators[1], { token: tok });
  assert.deepEqual(a.body, b.body);
  const bad = await emu.request('GET', V + '/jobs/query/' + id + '/results?locator=!!', { token: tok });
  assert.equal(bad.status, 400);
});

test('gzip when Accept-Encoding has gzip, plain otherwise', async () => {
  const id = await emu.queryJob(tok, 'SELECT Id, Name, Email FROM Contact');
  const plain = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok });
  assert.equal(plain.headers['content-encoding'], undefined);
  const gz = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok, headers: { 'accept-encoding': 'deflate, gzip' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(zlib.gunzipSync(gz.body), plain.body);
  const other = await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok, headers: { 'accept-encoding': 'br' } });
  assert.equal(other.headers['content-encoding'], undefined);
});

test('results with another API version -> 409', async () => {
  const id = await emu.queryJob(tok, 'SELECT Id FROM Account');
  const r = await emu.request('GET', '/services/data/v59.0/jobs/query/' + id + '/results', { token: tok });
  assert.equal(r.status, 409);
});

test('SOQL: WHERE on datetime with millis/offset, AND/OR, ORDER BY, query hides deleted rows', async () => {
  const h = contacts[0];
  const lm = h.indexOf('LastModifiedDate');
  const del = h.indexOf('IsDeleted');
  const cut = Date.parse('2026-11-20T00:00:00Z');
  const want = contacts.slice(1).filter((r) => r[del] === 'false' && Date.parse(r[lm]) > cut).map((r) => r[0]).sort();
  for (const lit of ['2026-11-20T00:00:00Z', '2026-11-20T00:00:00.000Z', '2026-11-20T01:00:00+01:00']) {
    const id = await emu.queryJob(tok, 'select Id from contact where LastModifiedDate > ' + lit + ' AND IsDeleted = false');
    const got = parseCsv((await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok })).body.toString()).slice(1).map((r) => r[0]).sort();
    assert.deepEqual(got, want, lit);
  }
  const id = await emu.queryJob(tok, "SELECT Id, LastModifiedDate FROM Contact WHERE (FirstName = 'tomasz' OR LastName = 'Varga') ORDER BY LastModifiedDate DESC");
  const got = parseCsv((await emu.request('GET', V + '/jobs/query/' + id + '/results', { token: tok })).body.toString()).slice(1);
  assert.ok(got.length >= 2, 'case-insensitive string match');
  assert.deepEqual(got.map((r) => r[1]), got.map((r) => r[1]).sort().reverse());
  const qa = await emu.queryJob(tok, 'SELECT Id FROM Contact WHERE IsDeleted = true', 'queryAll');
  const q = await emu.queryJob(tok, 'SELECT Id FROM Contact WHERE IsDeleted = true', 'query');
  const n = async (j) => Number((await emu.request('GET', V + '/jobs/query/' + j + '/results', { token: tok })).headers['sforce-numberofrecords']);
  assert.equal(await n(qa), 3);
  assert.equal(await n(q), 0);
});

test('SOQL errors: unknown object, unknown field, malformed, wrong literal type -> 400 INVALIDJOB', async () => {
  const cases = [
    ['SELECT Id FROM Foo', /^Unable to find object: Foo$/],
    ['SELECT Id, Foo FROM Contact', /No such column 'Foo' on entity 'Contact'/],
    ['SELECT Id FRM Contact', /MALFORMED_QUERY/],
    ['SELECT Id FROM Contact WHERE IsDeleted = false AND Id = \'x\' OR Id = \'y\'', /MALFORMED_QUERY/],
    ["SELECT Id FROM Contact WHERE LastModifiedDate > '2026-01-01T00:00:00Z'", /must be of type dateTime/],
  ];
  for (const [query, re] of cases) {
    const r = await emu.request('POST', V + '/jobs/query', { token: tok, body: { operation: 'query', query } });
    assert.equal(r.status, 400, query);
    const e = emu.json(r);
    assert.equal(e[0].errorCode, 'INVALIDJOB');
    assert.match(e[0].message, re);
  }
});

test('abort and delete; deleted job is 404; non-terminal delete is 400', async () => {
  const c = emu.json(await emu.request('POST', V + '/jobs/query', { token: tok, body: { operation: 'query', query: 'SELECT Id FROM Lead' } }));
  const del = await emu.request('DELETE', V + '/jobs/query/' + c.id, { token: tok });
  assert.equal(del.status, 400);
  assert.equal(emu.json(del)[0].errorCode, 'API_ERROR');
  const ab = await emu.request('PATCH', V + '/jobs/query/' + c.id, { token: tok, body: { state: 'Aborted' } });
  assert.equal(emu.json(ab).state, 'Aborted');
  assert.equal((await emu.request('DELETE', V + '/jobs/query/' + c.id, { token: tok })).status, 204);
  const g = await emu.request('GET', V + '/jobs/query/' + c.id, { token: tok });
  assert.equal(g.status, 404);
  assert.equal(emu.json(g)[0].errorCode, 'NOT_FOUND');
});

test('Sforce-Limit-Info on every API response; usage past the max -> 403 REQUEST_LIMIT_EXCEEDED', async () => {
  const r = await emu.request('GET', V + '/jobs/query', { token: tok });
  assert.match(r.headers['sforce-limit-info'], /^api-usage=\d+\/15000$/);
  await emu.control('POST', 'api_usage', { used: 99, max: 100 });
  const ok = await emu.request('GET', V + '/limits', { token: tok });
  assert.equal(ok.headers['sforce-limit-info'], 'api-usage=100/100');
  const over = await emu.request('GET', V + '/limits', { token: tok });
  assert.equal(over.status, 403);
  assert.deepEqual(emu.json(over), [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }]);
  await emu.control('POST', 'api_usage', { used: 0, max: 15000 });
});

test('unauthenticated API calls -> 401 INVALID_SESSION_ID', async () => {
  for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'OAuth nope' }]) {
    const r = await emu.request('GET', V + '/jobs/query', { headers });
    assert.equal(r.status, 401);
    assert.deepEqual(emu.json(r), [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  }
  assert.equal((await emu.request('GET', V + '/jobs/query', { headers: { authorization: 'OAuth ' + tok } })).status, 200);
});
