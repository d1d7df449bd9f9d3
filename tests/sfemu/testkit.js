'use strict';
/*
 * testkit.js - start an emulator for a node:test file (via start.sh, in a
 * temporary directory) and talk to it with Node's https client only.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const http = require('http');
const zlib = require('zlib');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const HERE = __dirname;
const ORG = path.join(HERE, '..', 'fixtures', 'demo', 'org');
const V = '/services/data/v58.0';

/** Parse DIR/sfemu.env (KEY='value' lines). */
function readEnv(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)='?(.*?)'?$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** Start an emulator; returns a handle with request helpers and stop(). */
function start(args = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfemu-test-'));
  execFileSync(path.join(HERE, 'start.sh'), [dir, ORG, '--idle-timeout', '120', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = readEnv(path.join(dir, 'sfemu.env'));
  const ca = fs.readFileSync(env.SFEMU_CA);
  const url = new URL(env.SFEMU_URL);
  const lib = url.protocol === 'https:' ? https : http;
  const agent = new lib.Agent({ keepAlive: false, ca });

  /**
   * One request.  opts: {headers, body (string|Buffer|object->JSON), token}.
   * Resolves {status, headers, body: Buffer, error} (error = socket error after
   * the headers, with the bytes received so far in body).
   */
  function request(method, p, opts = {}) {
    return new Promise((resolve, reject) => {
      const headers = { ...(opts.headers || {}) };
      let body = opts.body;
      if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
        body = JSON.stringify(body);
        headers['content-type'] = headers['content-type'] || 'application/json';
      }
      if (opts.token) headers.authorization = 'Bearer ' + opts.token;
      const req = lib.request(env.SFEMU_URL + p, { method, headers, agent }, (res) => {
        const parts = [];
        let done = false;
        const finish = (error) => {
          if (done) return;
          done = true;
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), error });
        };
        res.on('data', (c) => parts.push(c));
        res.on('end', () => finish(null));
        res.on('error', (e) => finish(e));
        res.on('aborted', () => finish(new Error('aborted')));
        res.on('close', () => finish(res.complete ? null : new Error('closed before the end')));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const json = (r) => JSON.parse(r.body.toString('utf8'));
  const control = async (method, p, body) => json(await request(method, '/__control/' + p, body === undefined ? {} : { body }));

  /** An access token through the client_credentials grant. */
  async function token() {
    const secret = fs.readFileSync(env.SFEMU_CLIENT_SECRET_FILE, 'utf8');
    const r = await request('POST', '/services/oauth2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: env.SFEMU_CLIENT_ID, client_secret: secret }).toString(),
    });
    if (r.status !== 200) throw new Error('token: ' + r.status + ' ' + r.body);
    return json(r).access_token;
  }

  /** Create a query job and poll until it is terminal; returns the job id. */
  async function queryJob(tok, query, operation = 'query') {
    const r = await request('POST', V + '/jobs/query', { token: tok, body: { operation, query } });
    if (r.status !== 200) throw new Error('create: ' + r.status + ' ' + r.body);
    const id = json(r).id;
    for (let i = 0; i < 20; i++) {
      const s = json(await request('GET', V + '/jobs/query/' + id, { token: tok })).state;
      if (['JobComplete', 'Failed', 'Aborted'].includes(s)) break;
    }
    return id;
  }

  /** Run an ingest job to the end; returns {id, info, success, failed, unprocessed} (CSV texts). */
  async function ingest(tok, create, csvText, faults) {
    const c = await request('POST', V + '/jobs/ingest', { token: tok, body: create });
    if (c.status !== 200) throw new Error('create ingest: ' + c.status + ' ' + c.body);
    const id = json(c).id;
    if (faults) await control('POST', 'faults', { faults });
    const u = await request('PUT', V + '/jobs/ingest/' + id + '/batches', { token: tok, headers: { 'content-type': 'text/csv' }, body: csvText });
    if (u.status !== 201) throw new Error('upload: ' + u.status + ' ' + u.body);
    await request('PATCH', V + '/jobs/ingest/' + id, { token: tok, body: { state: 'UploadComplete' } });
    let info;
    for (let i = 0; i < 20; i++) {
      info = json(await request('GET', V + '/jobs/ingest/' + id, { token: tok }));
      if (['JobComplete', 'Failed', 'Aborted'].includes(info.state)) break;
    }
    const get = async (w) => (await request('GET', V + '/jobs/ingest/' + id + '/' + w + '/', { token: tok })).body.toString('utf8');
    return { id, info, success: await get('successfulResults'), failed: await get('failedResults'), unprocessed: await get('unprocessedrecords') };
  }

  function stop() {
    try { execFileSync(path.join(HERE, 'stop.sh'), [dir]); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  }
  return { env, dir, request, json, control, token, queryJob, ingest, stop };
}

/** Sign a JWT (RS256) with a PEM private key. */
function signJwt(claims, keyPem) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = b64({ alg: 'RS256' }) + '.' + b64(claims);
  return input + '.' + crypto.sign('RSA-SHA256', Buffer.from(input), keyPem).toString('base64url');
}

/** Parse a CSV text with the emulator's own parser (rows incl. header). */
function parseCsv(text) { return require('./lib/csv').parse(text).rows; }

module.exports = { start, signJwt, parseCsv, V, ORG, zlib };
