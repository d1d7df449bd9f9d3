'use strict';
/*
 * jsforce_ingest.js - the jsforce side of the export benchmark.
 *
 *	node tests/bench/jsforce_ingest.js REQUEST.csv.gz...
 *
 * Environment: SFEMU_URL, SFEMU_JWT_KEY, SFEMU_CLIENT_ID, SFEMU_USERNAME
 * (from the emulator's sfemu.env) and NODE_EXTRA_CA_CERTS = its CA.
 *
 * Authorises with the JWT bearer flow (as jsforce_query.js), then for
 * each request file (the Task request files crmsync staged: header and
 * rows as sent) reads and gunzips it and runs
 * conn.bulk2.loadAndWaitForResults({object: 'Task', operation: 'insert'})
 * one after the other, as crmsync runs its jobs.  Prints
 * "written N failed F" on stdout; exits 1 when a row failed.
 *
 * jsforce 3.10.16 is loaded from tests/sfemu/node_modules (npm ci there).
 */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');

const jsforce = require(path.join(__dirname, '..', 'sfemu', 'node_modules', 'jsforce'));

const E = process.env;
const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node jsforce_ingest.js REQUEST.csv.gz...');
  process.exit(2);
}

function jwt(claims, key) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = b64({ alg: 'RS256' }) + '.' + b64(claims);
  return input + '.' + crypto.sign('RSA-SHA256', Buffer.from(input), key).toString('base64url');
}

async function main() {
  const url = E.SFEMU_URL;
  const conn = new jsforce.Connection({
    loginUrl: url, version: '62.0', oauth2: { clientId: E.SFEMU_CLIENT_ID, loginUrl: url },
  });
  await conn.authorize({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: jwt({ iss: E.SFEMU_CLIENT_ID, sub: E.SFEMU_USERNAME, aud: url,
      exp: Math.floor(Date.now() / 1000) + 170 }, fs.readFileSync(E.SFEMU_JWT_KEY, 'utf8')),
  });
  let written = 0;
  let failed = 0;
  for (const f of files) {
    const csv = zlib.gunzipSync(fs.readFileSync(f)).toString('utf8');
    const res = await conn.bulk2.loadAndWaitForResults({
      object: 'Task', operation: 'insert', lineEnding: 'LF', input: csv,
      pollInterval: 50, pollTimeout: 600000,
    });
    written += res.successfulResults.length;
    failed += res.failedResults.length + res.unprocessedRecords.length;
  }
  console.log('written ' + written + ' failed ' + failed);
  if (failed) process.exit(1);
}

main().catch((e) => {
  console.error('jsforce_ingest: ' + (e && (e.stack || e.message) || e));
  process.exit(1);
});
