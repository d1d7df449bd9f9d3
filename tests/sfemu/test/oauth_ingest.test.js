'use strict';
// OAuth grants and revocation; Bulk API 2.0 ingest jobs (states, upload rules,
// validation, upsert, result files and their order).  Node's https only.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const crypto = require('crypto');
const { start, signJwt, parseCsv, V } = require('../testkit');

let emu;
let tok;
test.before(async () => { emu = start(); tok = await emu.token(); });
test.after(() => emu && emu.stop());

const form = (o) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
const JWT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

test('JWT bearer: valid assertion -> token response; bad claims -> Salesforce errors', async () => {
  const key = fs.readFileSync(emu.env.SFEMU_JWT_KEY, 'utf8');
  assert.equal(fs.statSync(emu.env.SFEMU_JWT_KEY).mode & 0o777, 0o600);
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: emu.env.SFEMU_CLIENT_ID, sub: emu.env.SFEMU_USERNAME, aud: emu.env.SFEMU_URL, exp: now + 170 };
  const ok = await emu.request('POST', '/services/oauth2/token', form({ grant_type: JWT, assertion: signJwt(claims, key) }));
  assert.equal(ok.status, 200);
  const t = emu.json(ok);
  assert.equal(t.token_type, 'Bearer');
  assert.equal(t.instance_url, emu.env.SFEMU_URL);
  assert.match(t.id, /\/id\/00D[A-Za-z0-9]{15}\/005[A-Za-z0-9]{15}$/);
  assert.match(ok.headers['content-type'], /^application\/json/);
  for (const aud of ['https://login.salesforce.com', 'https://test.salesforce.com']) {
    assert.equal((await emu.request('POST', '/services/oauth2/token', form({ grant_type: JWT, assertion: signJwt({ ...claims, aud }, key) }))).status, 200);
  }
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const bad = [
    [signJwt({ ...claims, aud: 'https://x.example' }, key), 'invalid_grant', 'audience is invalid'],
    [signJwt({ ...claims, exp: now - 300 }, key), 'invalid_grant', 'expired authorization code'],
    [signJwt({ ...claims, exp: now + 3600 }, key), 'invalid_grant', 'invalid assertion'],
    [signJwt(claims, other), 'invalid_grant', 'invalid assertion'],
    [signJwt({ ...claims, sub: 'who@x.example' }, key), 'invalid_grant', "user hasn't approved this consumer"],
    [signJwt({ ...claims, iss: 'nope' }, key), 'invalid_client_id', 'client identifier invalid'],
    ['not.a.jwt', 'invalid_grant', 'invalid assertion'],
  ];
  for (const [assertion, error, desc] of bad) {
    const r = await emu.request('POST', '/services/oauth2/token', form({ grant_type: JWT, assertion }));
    assert.equal(r.status, 400);
    assert.deepEqual(emu.json(r), { error, error_description: desc });
  }
});

test('client_credentials and refresh_token grants; bad secret -> invalid_client', async () => {
  const secret = fs.readFileSync(emu.env.SFEMU_CLIENT_SECRET_FILE, 'utf8');
  const bad = await emu.request('POST', '/services/oauth2/token', form({ grant_type: 'client_credentials', client_id: emu.env.SFEMU_CLIENT_ID, client_secret: 'wrong' }));
  assert.deepEqual([bad.status, emu.json(bad)], [400, { error: 'invalid_client', error_description: 'invalid client credentials' }]);
  const basic = await emu.request('POST', '/services/oauth2/token', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from(emu.env.SFEMU_CLIENT_ID + ':' + secret).toString('base64') },
    body: 'grant_type=client_credentials',
  });
  assert.equal(basic.status, 200);
  const rt = fs.readFileSync(emu.env.SFEMU_REFRESH_TOKEN_FILE, 'utf8');
  const r = await emu.request('POST', '/services/oauth2/token', form({ grant_type: 'refresh_token', client_id: emu.env.SFEMU_CLIENT_ID, refresh_token: rt, client_secret: secret }));
  assert.equal(r.status, 200);
  assert.match(emu.json(r).issued_at, /^\d{13}$/);
  assert.ok(emu.json(r).signature);
  const u = await emu.request('POST', '/services/oauth2/token', form({ grant_type: 'password' }));
  assert.equal(emu.json(u).error, 'unsupported_grant_type');
});

test('revoke: access token -> 200 and 401 after; refresh token revokes its access tokens; unknown -> 400', async () => {
  const a = await emu.token();
  assert.equal((await emu.request('POST', '/services/oauth2/revoke', form({ token: a }))).status, 200);
  assert.equal((await emu.request('GET', V + '/jobs/query', { token: a })).status, 401);
  const unknown = await emu.request('POST', '/services/oauth2/revoke', form({ token: 'nope' }));
  assert.deepEqual([unknown.status, emu.json(unknown).error], [400, 'invalid_token']);
  const { refresh_token: rt } = await emu.control('POST', 'tokens/refresh_token');
  const r = emu.json(await emu.request('POST', '/services/oauth2/token', form({ grant_type: 'refresh_token', client_id: emu.env.SFEMU_CLIENT_ID, refresh_token: rt })));
  assert.equal((await emu.request('GET', V + '/jobs/query', { token: r.access_token })).status, 200);
  assert.equal((await emu.request('POST', '/services/oauth2/revoke', form({ token: rt }))).status, 200);
  assert.equal((await emu.request('GET', V + '/jobs/query', { token: r.access_token })).status, 401);
  const again = await emu.request('POST', '/services/oauth2/token', form({ grant_type: 'refresh_token', client_id: emu.env.SFEMU_CLIENT_ID, refresh_token: rt }));
  assert.deepEqual(emu.json(again), { error: 'invalid_grant', error_description: 'expired access/refresh token' });
});

test('ingest: Open + contentUrl without slash; chunked PUT 201; second PUT and PUT after close -> 400 INVALIDJOBSTATE', async () => {
  const c = await emu.request('POST', V + '/jobs/ingest', { token: tok, body: { object: 'Task', operation: 'insert' } });
  const job = emu.json(c);
  assert.equal(job.state, 'Open');
  assert.equal(job.contentUrl, 'services/data/v58.0/jobs/ingest/' + job.id + '/batches');
  const put = (body) => emu.request('PUT', '/' + job.contentUrl, { token: tok, headers: { 'content-type': 'text/csv', 'transfer-encoding': 'chunked' }, body });
  const u = await put('Subject\nx\n');
  assert.equal(u.status, 201);
  assert.equal(u.body.length, 0);
  const u2 = await put('Subject\ny\n');
  assert.equal(u2.status, 400);
  assert.equal(emu.json(u2)[0].errorCode, 'INVALIDJOBSTATE');
  const close = emu.json(await emu.request('PATCH', V + '/jobs/ingest/' + job.id, { token: tok, body: { state: 'UploadComplete' } }));
  assert.equal(close.state, 'UploadComplete');
  assert.equal((await put('Subject\nz\n')).status, 400);
  const s1 = emu.json(await emu.request('GET', V + '/jobs/ingest/' + job.id, { token: tok }));
  const s2 = emu.json(await emu.request('GET', V + '/jobs/ingest/' + job.id, { token: tok }));
  assert.deepEqual([s1.state, s2.state], ['InProgress', 'JobComplete']);
  assert.deepEqual([s2.numberRecordsProcessed, s2.numberRecordsFailed], [1, 0]);
});

test('ingest: result rows are not in upload order (deterministic shuffle), columns sf__Id, sf__Created + originals', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => 'row-' + String(i).padStart(2, '0'));
  const r = await emu.ingest(tok, { object: 'Task', operation: 'insert' }, 'Subject,Status\n' + rows.map((s) => s + ',Completed').join('\n') + '\n');
  const got = parseCsv(r.success);
  assert.deepEqual(got[0], ['sf__Id', 'sf__Created', 'Subject', 'Status']);
  const order = got.slice(1).map((x) => x[2]);
  assert.notDeepEqual(order, rows);
  assert.deepEqual(order.slice().sort(), rows);
  assert.ok(got.slice(1).every((x) => /^00T[A-Za-z0-9]{15}$/.test(x[0]) && x[1] === 'true'));
});

test('ingest validation: lengths, required, references, record types, #N/A, types', async () => {
  const contact = '0035g00000Ma9XkAAJ';
  const deletedContact = '0035g00000Ma9fAAAR';
  const inactive = parseCsv(fs.readFileSync(require('path').join(require('../testkit').ORG, 'User.csv'), 'utf8')).find((u) => u[9] === 'false')[0];
  const csvText = [
    'Subject,WhoId,WhatId,OwnerId,RecordTypeId,Status,ActivityDate,Description',
    'ok,' + contact + ',0015g00000Hq2CdAAJ,,012000000000001AAA,Completed,2026-11-01,',
    'long,,,,,,,' + 'x'.repeat(32001),
    'deleted who,' + deletedContact + ',,,,,,',
    'bad what,,' + contact + ',,,,,',
    'inactive owner,,,' + inactive + ',,,,',
    'bad rt,,,,012000000000099AAA,,,',
    'null status,,,,,#N/A,,',
    'bad date,,,,,,2026-13-45,',
  ].join('\n') + '\n';
  const r = await emu.ingest(tok, { object: 'Task', operation: 'insert' }, csvText);
  const failed = Object.fromEntries(parseCsv(r.failed).slice(1).map((x) => [x[2], x[1]]));
  assert.equal(parseCsv(r.success).length, 2);
  assert.match(failed.long, /^STRING_TOO_LONG:Description: data value too large: .*\(max length=32000\)/);
  assert.match(failed['deleted who'], /^INVALID_CROSS_REFERENCE_KEY:invalid cross reference id/);
  assert.match(failed['bad what'], /^INVALID_CROSS_REFERENCE_KEY:invalid cross reference id/);
  assert.match(failed['inactive owner'], /^INVALID_CROSS_REFERENCE_KEY:invalid cross reference id/);
  assert.match(failed['bad rt'], /^INVALID_CROSS_REFERENCE_KEY:/);
  assert.match(failed['null status'], /^REQUIRED_FIELD_MISSING:Required fields are missing: \[Status\]/);
  assert.match(failed['bad date'], /^INVALID_FIELD:.*xsd:date/);
  const rec = (await emu.control('GET', 'records/Task')).find((t) => t.Subject === 'ok');
  assert.equal(rec.AccountId, '0015g00000Hq2CdAAJ');
  assert.equal(rec.Priority, 'Normal');
  const n = await emu.ingest(tok, { object: 'Note', operation: 'insert' }, 'ParentId,Title,Body\n' + contact + ',Hello,b\n,No parent,b\n' + contact + ',' + 'T'.repeat(81) + ',b\n');
  const nf = parseCsv(n.failed).slice(1).map((x) => x[1].split(':')[0]).sort();
  assert.deepEqual(nf, ['REQUIRED_FIELD_MISSING', 'STRING_TOO_LONG']);
  assert.match(parseCsv(n.success)[1][0], /^002/);
});

test('ingest: unknown column -> job Failed "InvalidBatch : Field name not found : Foo", rows unprocessed', async () => {
  const r = await emu.ingest(tok, { object: 'Task', operation: 'insert' }, 'Subject,Foo\na,b\n');
  assert.equal(r.info.state, 'Failed');
  assert.equal(r.info.errorMessage, 'InvalidBatch : Field name not found : Foo');
  assert.deepEqual(parseCsv(r.unprocessed), [['Subject', 'Foo'], ['a', 'b']]);
});

test('ingest upsert on an external id: update keeps unset fields, insert new, duplicate keys fail', async () => {
  const ext = 'Crmsync_Activity_Id__c';
  const first = await emu.ingest(tok, { object: 'Task', operation: 'upsert', externalIdFieldName: ext }, ext + ',Subject,Description\nk1,one,desc\n');
  assert.equal(parseCsv(first.success)[1][1], 'true');
  const second = await emu.ingest(tok, { object: 'Task', operation: 'upsert', externalIdFieldName: ext },
    ext + ',Subject,Description\nk1,one v2,\nk2,two,\nk3,dup,\nk3,dup,\n,nokey,\n');
  const s = Object.fromEntries(parseCsv(second.success).slice(1).map((x) => [x[2], x[1]]));
  assert.deepEqual(s, { k1: 'false', k2: 'true' });
  const f = parseCsv(second.failed).slice(1).map((x) => x[1].split(':')[0]).sort();
  assert.deepEqual(f, ['DUPLICATE_VALUE', 'DUPLICATE_VALUE', 'MISSING_ARGUMENT']);
  const k1 = (await emu.control('GET', 'records/Task')).filter((t) => t[ext] === 'k1');
  assert.equal(k1.length, 1);
  assert.deepEqual([k1[0].Subject, k1[0].Description], ['one v2', 'desc']);
  const noExt = await emu.request('POST', V + '/jobs/ingest', { token: tok, body: { object: 'Task', operation: 'upsert', externalIdFieldName: 'Subject' } });
  assert.equal(noExt.status, 400);
  const dupInsert = await emu.ingest(tok, { object: 'Task', operation: 'insert' }, ext + ',Subject\nk2,again\n');
  assert.match(parseCsv(dupInsert.failed)[1][1], /^DUPLICATE_VALUE:duplicate value found: Crmsync_Activity_Id__c/);
});

test('ingest: abort an open job; unknown object -> 400; jobs list in control', async () => {
  const c = emu.json(await emu.request('POST', V + '/jobs/ingest', { token: tok, body: { object: 'Task', operation: 'insert' } }));
  const a = emu.json(await emu.request('PATCH', V + '/jobs/ingest/' + c.id, { token: tok, body: { state: 'Aborted' } }));
  assert.equal(a.state, 'Aborted');
  const u = await emu.request('POST', V + '/jobs/ingest', { token: tok, body: { object: 'Foo', operation: 'insert' } });
  assert.equal(u.status, 400);
  const jobs = await emu.control('GET', 'jobs');
  assert.ok(jobs.some((j) => j.id === c.id && j.kind === 'ingest' && j.state === 'Aborted'));
});
