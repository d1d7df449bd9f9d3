'use strict';
// --http, --synthetic (cached full-projection pages vs rendered ones), idle timeout.
const test = require('node:test');
const assert = require('node:assert/strict');
const { start, parseCsv, V } = require('../testkit');

test('--http --synthetic: deterministic rows; cached full-row pages equal rendered pages', async () => {
  const emu = start(['--http', '--synthetic', 'Contact=20000', '--query-polls', '0']);
  try {
    assert.match(emu.env.SFEMU_URL, /^http:\/\/127\.0\.0\.1:\d+$/);
    const tok = await emu.token();
    const cols = parseCsv(require('fs').readFileSync(require('path').join(require('../testkit').ORG, 'Contact.csv'), 'utf8'))[0];
    const full = await emu.queryJob(tok, 'SELECT ' + cols.join(', ') + ' FROM Contact WHERE LastModifiedDate > 2025-06-01T00:00:00Z', 'queryAll');
    // same columns in another order goes through the per-value renderer
    const rev = cols.slice().reverse();
    const other = await emu.queryJob(tok, 'SELECT ' + rev.join(', ') + ' FROM Contact WHERE LastModifiedDate > 2025-06-01T00:00:00Z', 'queryAll');
    const pages = async (id) => {
      const out = [];
      let loc = null;
      do {
        const r = await emu.request('GET', V + '/jobs/query/' + id + '/results?maxRecords=3000' + (loc ? '&locator=' + loc : ''), { token: tok });
        out.push(...parseCsv(r.body.toString()).slice(1));
        loc = r.headers['sforce-locator'];
      } while (loc !== 'null');
      return out;
    };
    const a = await pages(full);
    const b = (await pages(other)).map((r) => r.slice().reverse());
    assert.ok(a.length > 10000 && a.length < 20000, 'watermark selects a subset: ' + a.length);
    assert.deepEqual(a, b);
    assert.ok(a.every((r) => /^003[A-Za-z0-9]{15}$/.test(r[0])));
    assert.ok(a.some((r) => r[cols.indexOf('IsDeleted')] === 'true'));
    const again = await pages(full);
    assert.deepEqual(again, a, 'deterministic');
  } finally { emu.stop(); }
});

test('--idle-timeout: the emulator exits by itself', async () => {
  const emu = start(['--idle-timeout', '1']);
  try {
    const pid = Number(emu.env.SFEMU_PID);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try { process.kill(pid, 0); } catch (e) { alive = false; }
    }
    assert.equal(alive, false);
  } finally { emu.stop(); }
});
