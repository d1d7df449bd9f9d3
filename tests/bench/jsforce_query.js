'use strict';
/*
 * jsforce_query.js - the jsforce side of the extract benchmark.
 *
 *	node tests/bench/jsforce_query.js SOQL OUT.csv.gz
 *
 * Environment: SFEMU_URL, SFEMU_JWT_KEY, SFEMU_CLIENT_ID, SFEMU_USERNAME
 * (from the emulator's sfemu.env) and NODE_EXTRA_CA_CERTS = its CA.
 *
 * Authorises with the JWT bearer flow (RS256 signed with Node's crypto, as
 * tests/sfemu/conformance.js does), runs conn.bulk2.query(SOQL) with
 * scanAll (queryAll, as crmsync) and no maxRecords, so the emulator
 * serves one page, and writes every record as CSV (a header from the
 * first record's keys, every value quoted, LF) through zlib gzip level 6
 * into OUT, honouring back-pressure.  Prints "records N" on stdout.
 *
 * jsforce 3.10.16 is loaded from tests/sfemu/node_modules (npm ci there).
 */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const { once } = require('events');

const jsforce = require(path.join(__dirname, '..', 'sfemu', 'node_modules', 'jsforce'));

const E = process.env;
const [soql, out] = process.argv.slice(2);
if (!soql || !out) {
  console.error('usage: node jsforce_query.js SOQL OUT.csv.gz');
  process.exit(2);
}

function jwt(claims, key) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = b64({ alg: 'RS256' }) + '.' + b64(claims);
  return input + '.' + crypto.sign('RSA-SHA256', Buffer.from(input), key).toString('base64url');
}

const quote = (v) => (v === null || v === undefined ? '""' : '"' + String(v).replace(/"/g, '""') + '"');

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

  const gz = zlib.createGzip({ level: 6 });
  const file = fs.createWriteStream(out);
  gz.pipe(file);
  const done = once(file, 'close');

  const records = await conn.bulk2.query(soql, { scanAll: true, pollInterval: 50 });
  let n = 0;
  let cols = null;
  let batch = [];
  const flush = async () => {
    if (!gz.write(batch.join(''))) await once(gz, 'drain');
    batch = [];
  };
  for await (const r of records) {
    if (!cols) {
      cols = Object.keys(r).filter((k) => k !== 'attributes');
      batch.push(cols.map(quote).join(',') + '\n');
    }
    batch.push(cols.map((c) => quote(r[c])).join(',') + '\n');
    n += 1;
    if (batch.length >= 1000) await flush();
  }
  await flush();
  gz.end();
  await done;
  console.log('records ' + n);
}

main().catch((e) => {
  console.error('jsforce_query: ' + (e && (e.stack || e.message) || e));
  process.exit(1);
});
