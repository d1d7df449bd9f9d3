'use strict';
/*
 * demo_report.js - prints the Tasks and Notes the demo wrote into the
 * Salesforce emulator's org, with names instead of bare Ids (scripts/demo.sh).
 *
 *   node demo_report.js CONTROL_URL CA_FILE ORG_DIR [JOB_FILE]
 *
 * CONTROL_URL is the emulator's /__control base; ORG_DIR the seeded org
 * (User, Contact, Lead, Account CSVs) for the names; JOB_FILE, when given,
 * names the record types (writeback.record_type_ids).  Node standard
 * library only.  Exit 1 when the emulator cannot be read.
 */
const fs = require('fs');
const https = require('https');
const path = require('path');

const [control, caFile, orgDir, jobFile] = process.argv.slice(2);
if (!control || !caFile || !orgDir) {
  process.stderr.write('usage: node demo_report.js CONTROL_URL CA_FILE ORG_DIR [JOB_FILE]\n');
  process.exit(2);
}

/** GET a control path as JSON. */
function get(p) {
  return new Promise((resolve, reject) => {
    https.get(control + p, { ca: fs.readFileSync(caFile) }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { s += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(p + ': HTTP ' + res.statusCode));
        try { resolve(JSON.parse(s)); } catch (e) { reject(e); }
      });
    }).on('error', reject);
  });
}

/** Minimal RFC 4180 parser (the fixture org's files). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\n') { row.push(f); rows.push(row); row = []; f = ''; } else if (c !== '\r') f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}

/** Id -> display name from the org's CSV files. */
function names() {
  const out = new Map();
  for (const [obj, label] of [['User', 'User'], ['Contact', 'Contact'], ['Lead', 'Lead'], ['Account', 'Account']]) {
    const file = path.join(orgDir, obj + '.csv');
    if (!fs.existsSync(file)) continue;
    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    const h = rows.shift();
    const id = h.indexOf('Id');
    const name = h.indexOf('Name');
    const first = h.indexOf('FirstName');
    const last = h.indexOf('LastName');
    for (const r of rows) {
      const n = name >= 0 && r[name] ? r[name] : [r[first], r[last]].filter(Boolean).join(' ');
      out.set(r[id], label + ' ' + n);
    }
  }
  return out;
}

/** writeback.record_type_ids of the job file: Id -> activity type. */
function recordTypes() {
  const out = new Map();
  if (!jobFile) return out;
  let inside = false;
  for (const line of fs.readFileSync(jobFile, 'utf8').split('\n')) {
    if (/^\s+record_type_ids:/.test(line)) { inside = true; continue; }
    const m = /^\s{4,}(\w+):\s*(\w+)/.exec(line);
    if (inside && m) out.set(m[2], m[1]);
    else if (inside) inside = false;
  }
  return out;
}

function cut(s, n) {
  const a = [...(s || '').replace(/\s+/g, ' ')];
  return a.length > n ? a.slice(0, n - 1).join('') + '…' : a.join('');
}

async function main() {
  const who = names();
  const rt = recordTypes();
  const show = (id) => (id ? who.get(id) || id : '-');
  const tasks = (await get('/records/Task')).sort((a, b) => a.Id.localeCompare(b.Id));
  const notes = (await get('/records/Note')).sort((a, b) => a.Id.localeCompare(b.Id));
  console.log('The emulator\'s org received ' + tasks.length + ' Tasks and ' + notes.length +
    ' Notes, each created by the integration user (CreatedById ' + (tasks[0] || notes[0] || {}).CreatedById + '):');
  console.log('');
  console.log('Tasks');
  for (const t of tasks) {
    const type = rt.get(t.RecordTypeId) || t.RecordTypeId || '-';
    const target = t.WhoId ? show(t.WhoId) : 'UNASSIGNED (person not matched)';
    console.log('  ' + t.Id + '  ' + (t.Crmsync_Activity_Id__c || '').padEnd(5) + ' ' + type.padEnd(10) + ' ' +
      (t.ActivityDate || '').padEnd(10) + '  owner ' + show(t.OwnerId).replace(/^User /, '').padEnd(14) + ' who ' + target +
      (t.WhatId ? ', what ' + show(t.WhatId) : ''));
    console.log('        "' + cut(t.Subject, 90) + '"');
  }
  console.log('');
  console.log('Notes');
  for (const n of notes) {
    console.log('  ' + n.Id + '  owner ' + show(n.OwnerId).replace(/^User /, '').padEnd(14) + ' on ' + show(n.ParentId) +
      '  "' + cut(n.Title, 60) + '" (' + [...(n.Body || '')].length + ' characters)');
  }
}

main().catch((e) => { process.stderr.write('demo_report: ' + e.message + '\n'); process.exit(1); });
