'use strict';
/*
 * conformance.js - runs the independent client jsforce 3.10.16 against the
 * emulator (started by conformance.sh) and checks what it gets back.
 *
 * Environment: SFEMU_* from DIR/sfemu.env, NODE_EXTRA_CA_CERTS = the test CA,
 * SFEMU_ORG_DIR = the fixture org the emulator was seeded with.
 * Prints TAP-ish lines ("ok N - ...", "not ok N - ...") and a closing
 * "N passed, N failed" line; exits 1 if anything failed.
 */
const fs = require('fs');
const path = require('path');
const https = require('https');
const crypto = require('crypto');
const jsforce = require('jsforce');
const csv = require('./lib/csv');

const E = process.env;
const URL_ = E.SFEMU_URL;
const VERSION = '58.0';
const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const clientSecret = fs.readFileSync(E.SFEMU_CLIENT_SECRET_FILE, 'utf8').trim();
const refreshToken = fs.readFileSync(E.SFEMU_REFRESH_TOKEN_FILE, 'utf8').trim();
const jwtKey = fs.readFileSync(E.SFEMU_JWT_KEY, 'utf8');

let n = 0;
let failed = 0;
/** Run one named check; an exception or a false result fails it. */
async function check(name, fn) {
  n += 1;
  try {
    const r = await fn();
    if (r === false) throw new Error('check returned false');
    console.log('ok ' + n + ' - ' + name);
  } catch (e) {
    failed += 1;
    console.log('not ok ' + n + ' - ' + name);
    console.log('  # ' + String(e && (e.stack || e.message) || e).split('\n').slice(0, 6).join('\n  # '));
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
function eq(a, b, msg) { assert(JSON.stringify(a) === JSON.stringify(b), (msg || 'not equal') + ': ' + JSON.stringify(a) + ' != ' + JSON.stringify(b)); }

/** Sign a JWT bearer assertion with Node's crypto (RS256). */
function jwt(claims, key = jwtKey) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = b64({ alg: 'RS256' }) + '.' + b64(claims);
  return input + '.' + crypto.sign('RSA-SHA256', Buffer.from(input), key).toString('base64url');
}
const goodClaims = () => ({ iss: E.SFEMU_CLIENT_ID, sub: E.SFEMU_USERNAME, aud: URL_, exp: Math.floor(Date.now() / 1000) + 170 });

/** JSON request to the control interface. */
function control(method, p, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(URL_ + '/__control/' + p, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const t = Buffer.concat(parts).toString('utf8');
        try { resolve(JSON.parse(t)); } catch (e) { reject(new Error('control ' + p + ': ' + t)); }
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** Collect all records of a jsforce record stream. */
function collect(rs) {
  return new Promise((resolve, reject) => {
    const out = [];
    rs.on('record', (r) => out.push(r));
    rs.on('end', () => resolve(out));
    rs.on('error', reject);
  });
}

/** Fixture rows of an object as objects. */
function fixture(obj) {
  const { rows } = csv.parse(fs.readFileSync(path.join(E.SFEMU_ORG_DIR, obj + '.csv'), 'utf8'));
  const h = rows.shift();
  return rows.map((r) => Object.fromEntries(h.map((c, i) => [c, r[i]])));
}

async function expectReject(promise, test) {
  try { await promise; } catch (e) { test(e); return; }
  throw new Error('expected an error');
}

async function main() {
  const conn = new jsforce.Connection({ loginUrl: URL_, version: VERSION, oauth2: { clientId: E.SFEMU_CLIENT_ID, loginUrl: URL_ } });
  const contacts = fixture('Contact');

  await check('JWT bearer flow: authorize with an RS256 assertion', async () => {
    const res = await conn.authorize({ grant_type: JWT_GRANT, assertion: jwt(goodClaims()) });
    assert(conn.accessToken && conn.accessToken.length > 20, 'no access token');
    eq(conn.instanceUrl, URL_, 'instance_url');
    assert(/^00D/.test(conn.userInfo.organizationId) && /^005/.test(conn.userInfo.id), 'id URL parsed: ' + JSON.stringify(conn.userInfo));
    eq(res.organizationId, conn.userInfo.organizationId);
  });

  await check('JWT bearer flow: wrong audience -> invalid_grant "audience is invalid"', async () => {
    const c = new jsforce.Connection({ loginUrl: URL_, version: VERSION, oauth2: { clientId: E.SFEMU_CLIENT_ID, loginUrl: URL_ } });
    await expectReject(c.authorize({ grant_type: JWT_GRANT, assertion: jwt({ ...goodClaims(), aud: 'https://evil.example' }) }), (e) => {
      eq([e.name, e.message], ['invalid_grant', 'audience is invalid']);
    });
  });

  await check('JWT bearer flow: signature by another key -> invalid_grant "invalid assertion"', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const c = new jsforce.Connection({ loginUrl: URL_, version: VERSION, oauth2: { clientId: E.SFEMU_CLIENT_ID, loginUrl: URL_ } });
    await expectReject(c.authorize({ grant_type: JWT_GRANT, assertion: jwt(goodClaims(), other) }), (e) => {
      eq([e.name, e.message], ['invalid_grant', 'invalid assertion']);
    });
  });

  await check('JWT bearer flow: expired and unknown user', async () => {
    const c = new jsforce.Connection({ loginUrl: URL_, version: VERSION, oauth2: { clientId: E.SFEMU_CLIENT_ID, loginUrl: URL_ } });
    await expectReject(c.authorize({ grant_type: JWT_GRANT, assertion: jwt({ ...goodClaims(), exp: Math.floor(Date.now() / 1000) - 600 }) }),
      (e) => eq([e.name, e.message], ['invalid_grant', 'expired authorization code']));
    await expectReject(c.authorize({ grant_type: JWT_GRANT, assertion: jwt({ ...goodClaims(), sub: 'nobody@example.com' }) }),
      (e) => eq([e.name, e.message], ['invalid_grant', "user hasn't approved this consumer"]));
  });

  const cutoff = '2026-11-15T00:00:00Z';
  const fields = ['Id', 'FirstName', 'LastName', 'Email', 'AccountId', 'LastModifiedDate'];
  await check('bulk2.query: Contact WHERE LastModifiedDate > literal matches the fixture', async () => {
    const rs = await conn.bulk2.query('SELECT ' + fields.join(', ') + ' FROM Contact WHERE LastModifiedDate > ' + cutoff, { pollInterval: 50 });
    const got = (await collect(rs)).map((r) => fields.map((f) => r[f])).sort();
    const want = contacts.filter((c) => c.IsDeleted !== 'true' && Date.parse(c.LastModifiedDate) > Date.parse(cutoff))
      .map((c) => fields.map((f) => c[f])).sort();
    assert(want.length > 10 && want.length < contacts.length, 'fixture selects a proper subset: ' + want.length);
    eq(got, want, 'rows');
  });

  await check('bulk2.query vs queryAll (scanAll): deleted rows only in queryAll, with IsDeleted true', async () => {
    const q = await collect(await conn.bulk2.query('SELECT Id, IsDeleted FROM Contact', { pollInterval: 50 }));
    const qa = await collect(await conn.bulk2.query('SELECT Id, IsDeleted FROM Contact', { pollInterval: 50, scanAll: true }));
    const deleted = contacts.filter((c) => c.IsDeleted === 'true').map((c) => c.Id).sort();
    assert(deleted.length > 0, 'fixture has deleted contacts');
    eq(qa.length, contacts.length, 'queryAll count');
    eq(q.length, contacts.length - deleted.length, 'query count');
    eq(qa.filter((r) => r.IsDeleted === 'true').map((r) => r.Id).sort(), deleted, 'deleted ids');
    assert(q.every((r) => r.IsDeleted === 'false'), 'query has no deleted rows');
  });

  await check('bulk2.query: ORDER BY, and a 503 on the results GET is retried by jsforce', async () => {
    await control('POST', 'faults', { faults: [{ method: 'GET', path: '/jobs/query/[^/]+/results', action: 'status', status: 503 }] });
    const rs = await collect(await conn.bulk2.query('SELECT Id, LastModifiedDate FROM Account ORDER BY LastModifiedDate DESC', { pollInterval: 50 }));
    const dates = rs.map((r) => r.LastModifiedDate);
    eq(dates, dates.slice().sort().reverse(), 'descending');
    const log = await control('GET', 'requests');
    const results = log.filter((r) => /\/results$/.test(r.path));
    eq(results.slice(-2).map((r) => r.status), [503, 200], 'statuses of the last two results GETs');
  });

  await check('bulk2.query: unknown object -> INVALIDJOB', async () => {
    await expectReject(conn.bulk2.query('SELECT Id FROM Foo', { pollInterval: 50 }), (e) => {
      eq(e.errorCode || e.name, 'INVALIDJOB');
      assert(/Unable to find object: Foo/.test(e.message), e.message);
    });
  });

  await check('bulk2.query: unknown field -> INVALIDJOB No such column', async () => {
    await expectReject(conn.bulk2.query('SELECT Id, Foo FROM Contact', { pollInterval: 50 }), (e) => {
      eq(e.errorCode || e.name, 'INVALIDJOB');
      assert(/No such column 'Foo' on entity 'Contact'/.test(e.message), e.message);
    });
  });

  const live = contacts.filter((c) => c.IsDeleted !== 'true');
  const owner = fixture('User').find((u) => u.IsActive === 'true').Id;
  await check('bulk2 ingest insert Task: 3 succeed, a bad WhoId fails INVALID_CROSS_REFERENCE_KEY', async () => {
    const input = [
      { Subject: 'InMail: hello', WhoId: live[0].Id, OwnerId: owner, Status: 'Completed', Description: null, RecordTypeId: '012000000000001AAA', Crmsync_Activity_Id__c: 'conf-1' },
      { Subject: 'Call, with "quotes"', WhoId: live[1].Id, OwnerId: owner, Status: 'Completed', Description: 'line1\nline2', RecordTypeId: '012000000000003AAA', Crmsync_Activity_Id__c: 'conf-2' },
      { Subject: 'Message', WhoId: live[2].Id, OwnerId: owner, Status: 'Completed', Description: 'x', RecordTypeId: '012000000000002AAA', Crmsync_Activity_Id__c: 'conf-3' },
      { Subject: 'Bad who', WhoId: '0035g00000ZZZZZAAA', OwnerId: owner, Status: 'Completed', Description: 'y', RecordTypeId: '012000000000002AAA', Crmsync_Activity_Id__c: 'conf-4' },
    ];
    const res = await conn.bulk2.loadAndWaitForResults({ object: 'Task', operation: 'insert', input, pollInterval: 50 });
    eq(res.successfulResults.length, 3, 'successes');
    eq(res.failedResults.length, 1, 'failures');
    eq(res.unprocessedRecords.length, 0, 'unprocessed');
    assert(res.successfulResults.every((r) => /^00T[A-Za-z0-9]{15}$/.test(r.sf__Id) && r.sf__Created === 'true'), 'Task ids');
    const f = res.failedResults[0];
    eq(f.Crmsync_Activity_Id__c, 'conf-4');
    assert(/^INVALID_CROSS_REFERENCE_KEY:invalid cross reference id/.test(f.sf__Error), f.sf__Error);
    eq(res.successfulResults.map((r) => r.Crmsync_Activity_Id__c).sort(), ['conf-1', 'conf-2', 'conf-3']);
    const recs = await control('GET', 'records/Task');
    const byKey = Object.fromEntries(recs.map((r) => [r.Crmsync_Activity_Id__c, r]));
    eq(byKey['conf-2'].Subject, 'Call, with "quotes"');
    eq(byKey['conf-2'].Description, 'line1\nline2');
    eq(byKey['conf-1'].Description, '', '#N/A is null');
    eq(byKey['conf-1'].Priority, 'Normal', 'default Priority');
    eq(byKey['conf-1'].Id, res.successfulResults.find((r) => r.Crmsync_Activity_Id__c === 'conf-1').sf__Id);
  });

  await check('bulk2 ingest upsert on Crmsync_Activity_Id__c: update (sf__Created false) and insert (true)', async () => {
    const input = [
      { Crmsync_Activity_Id__c: 'conf-1', Subject: 'InMail: hello again', Status: 'Completed' },
      { Crmsync_Activity_Id__c: 'conf-9', Subject: 'New one', Status: 'Completed' },
    ];
    const res = await conn.bulk2.loadAndWaitForResults({ object: 'Task', operation: 'upsert', externalIdFieldName: 'Crmsync_Activity_Id__c', input, pollInterval: 50 });
    eq(res.failedResults.length, 0, 'failures: ' + JSON.stringify(res.failedResults));
    const created = Object.fromEntries(res.successfulResults.map((r) => [r.Crmsync_Activity_Id__c, r.sf__Created]));
    eq(created, { 'conf-1': 'false', 'conf-9': 'true' });
    const recs = await control('GET', 'records/Task');
    const one = recs.filter((r) => r.Crmsync_Activity_Id__c === 'conf-1');
    eq(one.length, 1, 'no duplicate');
    eq(one[0].Subject, 'InMail: hello again');
    eq(one[0].WhoId, live[0].Id, 'unchanged field kept');
  });

  await check('bulk2 ingest Note: missing Title -> REQUIRED_FIELD_MISSING; long Title -> STRING_TOO_LONG', async () => {
    const input = [
      { ParentId: live[0].Id, Title: 'Met at the fair', Body: 'notes' },
      { ParentId: live[1].Id, Title: null, Body: 'no title' },
      { ParentId: live[2].Id, Title: 'T'.repeat(81), Body: 'long title' },
    ];
    const res = await conn.bulk2.loadAndWaitForResults({ object: 'Note', operation: 'insert', input, pollInterval: 50 });
    eq(res.successfulResults.length, 1);
    assert(/^002/.test(res.successfulResults[0].sf__Id), 'Note id prefix');
    const errs = res.failedResults.map((r) => r.sf__Error.split(':')[0]).sort();
    eq(errs, ['REQUIRED_FIELD_MISSING', 'STRING_TOO_LONG']);
  });

  await check('bulk2 ingest: unknown column fails the job ("InvalidBatch : Field name not found")', async () => {
    await expectReject(conn.bulk2.loadAndWaitForResults({ object: 'Task', operation: 'insert', input: [{ Subject: 'x', Foo__c: 'y' }], pollInterval: 50 }),
      (e) => assert(/Field name not found : Foo__c/.test(e.message), e.message));
  });

  await check('INVALID_SESSION_ID (expired via control) is survived by jsforce refresh_token flow', async () => {
    const c2 = new jsforce.Connection({
      instanceUrl: URL_, version: VERSION, accessToken: 'not-a-valid-token', refreshToken,
      oauth2: { clientId: E.SFEMU_CLIENT_ID, clientSecret, loginUrl: URL_ },
    });
    let refreshed = 0;
    c2.on('refresh', () => { refreshed += 1; });
    const before = (await control('GET', 'stats')).token_requests;
    const a = await collect(await c2.bulk2.query('SELECT Id FROM User', { pollInterval: 50 }));
    eq(a.length, fixture('User').length);
    await control('POST', 'tokens/expire');
    const b = await collect(await c2.bulk2.query('SELECT Id FROM UserRole', { pollInterval: 50 }));
    eq(b.length, fixture('UserRole').length);
    eq(refreshed, 2, 'refreshes');
    eq((await control('GET', 'stats')).token_requests - before, 2, 'token requests');
    const log = await control('GET', 'requests');
    assert(log.some((r) => r.status === 401), 'a 401 was served');
  });

  await check('revoke: access token revoked -> 401 INVALID_SESSION_ID; unknown token -> 400', async () => {
    await conn.authorize({ grant_type: JWT_GRANT, assertion: jwt(goodClaims()) }); // the previous token was expired
    const token = conn.accessToken;
    eq((await collect(await conn.bulk2.query('SELECT Id FROM UserRole', { pollInterval: 50 }))).length, fixture('UserRole').length);
    await conn.oauth2.revokeToken(token);
    const c3 = new jsforce.Connection({ instanceUrl: URL_, version: VERSION, accessToken: token });
    await expectReject(c3.bulk2.query('SELECT Id FROM User', { pollInterval: 50 }), (e) => {
      assert(/INVALID_SESSION_ID|Session expired/.test(e.errorCode + ' ' + e.name + ' ' + e.message), e.name + ': ' + e.message);
    });
    await expectReject(conn.oauth2.revokeToken('no-such-token'), (e) => assert(/400|invalid_token/.test(e.name + e.message), e.name));
  });

  await check('revoke: a revoked refresh token no longer refreshes (invalid_grant)', async () => {
    const oauth2 = new jsforce.OAuth2({ clientId: E.SFEMU_CLIENT_ID, clientSecret, loginUrl: URL_ });
    const ok = await oauth2.refreshToken(refreshToken);
    assert(ok.access_token, 'refresh works before revoke');
    await oauth2.revokeToken(refreshToken);
    await expectReject(oauth2.refreshToken(refreshToken), (e) => eq([e.name, e.message], ['invalid_grant', 'expired access/refresh token']));
    const c4 = new jsforce.Connection({ instanceUrl: URL_, version: VERSION, accessToken: ok.access_token });
    await expectReject(c4.bulk2.query('SELECT Id FROM User', { pollInterval: 50 }), (e) => assert(/INVALID_SESSION_ID|Session expired/.test(e.name + ' ' + e.message), e.message));
  });

  await check('gzip: jsforce asked for gzip and got compressed responses', async () => {
    const s = await control('GET', 'stats');
    assert(s.gzip_responses > 0, JSON.stringify(s));
  });

  console.log('1..' + n);
  console.log((n - failed) + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log('not ok - crashed: ' + (e && e.stack)); process.exit(1); });
