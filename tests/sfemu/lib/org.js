'use strict';
/*
 * org.js - the emulated org: tables of records, Salesforce Ids, the writable
 * objects' field definitions (Task, Note, plus any from the config), the
 * synthetic large tables, and the row validation used by ingest jobs.
 *
 * A table is {name, columns, types, colIndex, size(), get(i, c), isDeleted(i)}.
 * Seeded and written tables keep rows as arrays of strings ("" = empty);
 * synthetic tables compute each value from the row number, so 2 M rows cost
 * no memory.
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const csv = require('./csv');

// ---------------------------------------------------------------- Ids

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** Salesforce's 3-character case-safe suffix of a 15-character Id. */
function idSuffix(id15) {
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let k = 0; k < 5; k++) {
      const ch = id15.charCodeAt(chunk * 5 + k);
      if (ch >= 65 && ch <= 90) bits |= 1 << k;
    }
    out += SUFFIX[bits];
  }
  return out;
}

/** 18-character Id from a 3-character key prefix and a counter. */
function makeId(prefix, n) {
  const d = ['0', '0', '0', '0', '0', '0', '0', '0', '0', '0'];
  let v = n;
  for (let k = 9; k >= 0 && v > 0; k--) { d[k] = B62[v % 62]; v = Math.floor(v / 62); }
  const id15 = prefix + '5g' + d.join('');
  return id15 + idSuffix(id15);
}

/** A valid 15 or 18 character Id -> its 18-character form; anything else -> null. */
function normId(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(s)) return null;
  if (s.length === 15) return s + idSuffix(s);
  return s.slice(15).toUpperCase() === idSuffix(s.slice(0, 15)) ? s.slice(0, 15) + idSuffix(s.slice(0, 15)) : null;
}

/** Known key prefixes (used for synthetic rows and new objects). */
const KEY_PREFIX = {
  Account: '001', Contact: '003', Lead: '00Q', Opportunity: '006', User: '005', UserRole: '00E',
  OpportunityContactRole: '00K', Task: '00T', Event: '00U', Note: '002', RecordType: '012', Organization: '00D',
};

// ---------------------------------------------------------------- writable objects

/*
 * Field definition: {type: string|textarea|picklist|date|datetime|boolean|int|double|id|reference|recordtype,
 * length, required, default, refs: [object], activeUser, createable (default true), externalId}.
 * Read-only system fields are queryable but not writable.
 */
const SYSTEM_FIELDS = {
  Id: { type: 'id', createable: false },
  CreatedDate: { type: 'datetime', createable: false },
  CreatedById: { type: 'reference', createable: false },
  LastModifiedDate: { type: 'datetime', createable: false },
  LastModifiedById: { type: 'reference', createable: false },
  SystemModstamp: { type: 'datetime', createable: false },
  IsDeleted: { type: 'boolean', createable: false },
};

const BUILTIN_OBJECTS = {
  Task: {
    prefix: '00T',
    fields: {
      Subject: { type: 'string', length: 255 },
      Description: { type: 'textarea', length: 32000 },
      ActivityDate: { type: 'date' },
      Status: { type: 'picklist', length: 255, required: true, default: 'Not Started' },
      Priority: { type: 'picklist', length: 255, required: true, default: 'Normal' },
      WhoId: { type: 'reference', refs: ['Contact', 'Lead'] },
      WhatId: { type: 'reference', refs: ['Account', 'Opportunity'] },
      OwnerId: { type: 'reference', refs: ['User'], activeUser: true, required: true, default: '$user' },
      RecordTypeId: { type: 'recordtype' },
      TaskSubtype: { type: 'picklist', length: 255 },
      Type: { type: 'picklist', length: 255 },
      CallType: { type: 'picklist', length: 255 },
      CallDurationInSeconds: { type: 'int' },
      CallDisposition: { type: 'string', length: 255 },
      CallObject: { type: 'string', length: 255 },
      IsReminderSet: { type: 'boolean', default: 'false' },
      ReminderDateTime: { type: 'datetime' },
      CompletedDateTime: { type: 'datetime' },
      AccountId: { type: 'reference', createable: false },
      IsClosed: { type: 'boolean', createable: false },
      IsHighPriority: { type: 'boolean', createable: false },
      IsArchived: { type: 'boolean', createable: false },
    },
  },
  Note: {
    prefix: '002',
    fields: {
      ParentId: { type: 'reference', refs: ['Account', 'Contact', 'Lead', 'Opportunity'], required: true },
      OwnerId: { type: 'reference', refs: ['User'], activeUser: true, required: true, default: '$user' },
      Title: { type: 'string', length: 80, required: true },
      Body: { type: 'textarea', length: 32000 },
      IsPrivate: { type: 'boolean', default: 'false' },
    },
  },
};

/*
 * Objects writable only when the config asks (`writable: ["Contact"]` or
 * --writable Contact): crmsync never creates people, except the test
 * contact of `crmsync export --test` (R46).
 */
const OPTIONAL_OBJECTS = {
  Contact: {
    prefix: '003',
    fields: {
      FirstName: { type: 'string', length: 40 },
      LastName: { type: 'string', length: 80, required: true },
      Email: { type: 'string', length: 80 },
      Title: { type: 'string', length: 128 },
      Description: { type: 'textarea', length: 32000 },
      AccountId: { type: 'reference', refs: ['Account'] },
      OwnerId: { type: 'reference', refs: ['User'], activeUser: true, required: true, default: '$user' },
    },
  },
};

/** Query type of a field definition (for SOQL comparisons). */
function queryType(def) {
  switch (def.type) {
    case 'datetime': return 'datetime';
    case 'date': return 'date';
    case 'boolean': return 'boolean';
    case 'int': case 'double': return 'number';
    default: return 'string';
  }
}

// ---------------------------------------------------------------- tables

const DATETIME_NAMES = /^(CreatedDate|LastModifiedDate|SystemModstamp|LastReferencedDate|LastViewedDate|.*DateTime|.*Stamp)$/;
const DATETIME_VAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE_VAL = /^\d{4}-\d{2}-\d{2}$/;
const NUM_VAL = /^-?\d+(\.\d+)?$/;

/** Guess a column's query type from its name and values. */
function inferType(name, values) {
  const nonEmpty = values.filter((v) => v !== '');
  if (nonEmpty.length === 0) {
    if (DATETIME_NAMES.test(name)) return 'datetime';
    if (/Date$/.test(name)) return 'date';
    if (/^(Is|Has)[A-Z]/.test(name)) return 'boolean';
    return 'string';
  }
  if (/(^Id$|Id$)/.test(name) && nonEmpty.every((v) => /^[A-Za-z0-9]{15,18}$/.test(v))) return 'string';
  if (nonEmpty.every((v) => DATETIME_VAL.test(v))) return 'datetime';
  if (nonEmpty.every((v) => DATE_VAL.test(v))) return 'date';
  if (nonEmpty.every((v) => v === 'true' || v === 'false')) return 'boolean';
  if (nonEmpty.every((v) => NUM_VAL.test(v))) return 'number';
  return 'string';
}

/** A table whose rows are arrays of strings in memory. */
class Table {
  constructor(name, columns, types, rows = []) {
    this.name = name;
    this.columns = columns.slice();
    this.types = types.slice();
    this.rows = rows;
    this.reindex();
  }

  /** Rebuild the column-name and Id lookups. */
  reindex() {
    this.colIndex = new Map(this.columns.map((c, i) => [c.toLowerCase(), i]));
    this.idCol = this.colIndex.get('id');
    this.delCol = this.colIndex.get('isdeleted');
    this.ids = new Map();
    if (this.idCol !== undefined) this.rows.forEach((r, i) => this.ids.set(r[this.idCol], i));
  }

  /** Add a column (new custom field); existing rows get "". */
  addColumn(name, type) {
    if (this.colIndex.has(name.toLowerCase())) return this.colIndex.get(name.toLowerCase());
    this.columns.push(name);
    this.types.push(type);
    for (const r of this.rows) r.push('');
    this.colIndex.set(name.toLowerCase(), this.columns.length - 1);
    if (name === 'IsDeleted') this.delCol = this.columns.length - 1;
    if (name === 'Id') this.idCol = this.columns.length - 1;
    return this.columns.length - 1;
  }

  size() { return this.rows.length; }
  get(i, c) { const v = this.rows[i][c]; return v === undefined ? '' : v; }
  isDeleted(i) { return this.delCol !== undefined && this.rows[i][this.delCol] === 'true'; }
  /** Row number of an 18-char Id, or undefined. */
  find(id) { return this.ids.get(id); }
  /** Append a row (array in column order) and index its Id. */
  append(row) { this.rows.push(row); if (this.idCol !== undefined) this.ids.set(row[this.idCol], this.rows.length - 1); return this.rows.length - 1; }
  /** Replace row i (copy-on-write, so query snapshots keep the old row). */
  replace(i, row) { this.rows[i] = row; }
  /** Snapshot of some rows for a query job: value(k, c) keeps working after later writes. */
  snapshot(indices) {
    const rs = Array.from(indices, (i) => this.rows[i]);
    return { count: rs.length, value: (k, c) => { const v = rs[k][c]; return v === undefined ? '' : v; } };
  }
  /** The table as objects {field: value} (for the control interface). */
  toObjects() {
    return this.rows.map((r) => Object.fromEntries(this.columns.map((c, i) => [c, r[i] === undefined ? '' : r[i]])));
  }
}

/** Load one Bulk-API-shaped CSV file into a Table. */
function loadCsvTable(file, name) {
  const { rows, error } = csv.parse(fs.readFileSync(file, 'utf8'));
  if (error) throw new Error(file + ': ' + error);
  if (!rows.length) throw new Error(file + ': no header row');
  const header = rows.shift();
  const types = header.map((h, c) => inferType(h, rows.map((r) => r[c] || '')));
  return new Table(name, header, types, rows);
}

// ---------------------------------------------------------------- synthetic tables

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Eva', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Katarzyna', 'Liam',
  'Marta', 'Nils', 'Olga', 'Pedro', 'Quentin', 'Rosa', 'Søren', 'Tomasz', 'Uma', 'Viktor', 'Wen', 'Yusuf', 'Zoë'];
const LAST = ['Nowak', 'Müller', 'García', 'Rossi', 'Dubois', 'Smith', 'Jensen', 'Kowalski', 'Silva', 'Novák',
  'Papadopoulos', 'Yılmaz', 'Tanaka', 'Kim', "O'Brien", 'Van der Berg', 'Larsen', 'Horvat', 'Ivanova', 'Murphy'];
const CITIES = ['Berlin', 'Madrid', 'Kraków', 'Boston', 'Lyon', 'Aberdeen', 'Budapest', 'Porto', 'Oslo', 'Austin'];
const DEPTS = ['Sales', 'IT', 'Engineering', 'Finance', 'Operations', 'Human Resources', 'Marketing', ''];
const TITLES = ['Account Executive', 'Head of Data', 'CTO', 'Procurement Lead', 'VP Sales', 'Data Engineer', ''];
const BASE_MS = Date.UTC(2025, 0, 1);

/**
 * makeId(prefix, n) for n < 62^5, fast: the first 10 characters and the
 * first two suffix characters are constant; the last 5 digits come from a
 * table of digit pairs with their upper-case bits.
 */
function fastIds(prefix) {
  const head = prefix + '5g00000';
  const s1 = idSuffix(head + '00000').slice(0, 2);
  const pairs = [];
  const bits = [];
  for (let a = 0; a < 62; a++) {
    for (let b = 0; b < 62; b++) {
      pairs.push(B62[a] + B62[b]);
      bits.push((B62[a] >= 'A' && B62[a] <= 'Z' ? 1 : 0) | (B62[b] >= 'A' && B62[b] <= 'Z' ? 2 : 0));
    }
  }
  return (i) => {
    const n = i + 1;
    if (n >= 62 ** 5) return makeId(prefix, n);
    const d0 = Math.floor(n / 3844 / 3844); // first of the five digits
    const mid = Math.floor(n / 3844) % 3844;
    const lo = n % 3844;
    const c0 = B62[d0];
    const b = (c0 >= 'A' && c0 <= 'Z' ? 1 : 0) | (bits[mid] << 1) | (bits[lo] << 3);
    return head + c0 + pairs[mid] + pairs[lo] + s1 + SUFFIX[b];
  };
}

const DAY_CACHE = new Map();
/** yyyy-MM-dd of a day number counted from BASE_MS (cached). */
function isoDay(day) {
  let s = DAY_CACHE.get(day);
  if (s === undefined) { s = new Date(BASE_MS + day * 86400000).toISOString().slice(0, 10); DAY_CACHE.set(day, s); }
  return s;
}
const TWO = Array.from({ length: 60 }, (_, k) => String(k).padStart(2, '0'));
/** yyyy-MM-ddTHH:mm:ss.000Z of a second counted from BASE_MS, without Date objects. */
function isoSeconds(sec) {
  const day = Math.floor(sec / 86400);
  let r = sec - day * 86400;
  const h = Math.floor(r / 3600); r -= h * 3600;
  const m = Math.floor(r / 60);
  return isoDay(day) + 'T' + TWO[h] + ':' + TWO[m] + ':' + TWO[r - m * 60] + '.000Z';
}

/** 32-bit integer hash (deterministic pseudo-random per row and column). */
function hash32(a, b) {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d) >>> 0; h ^= h >>> 15; h = Math.imul(h, 0x846ca68b) >>> 0; h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A table of `count` generated rows with the given columns.  Values depend
 * only on (row, column name), so every run serves the same bytes.  Every
 * 997th row is deleted (IsDeleted "true").  LastModifiedDate spreads over
 * 2025-01-01 .. +700 days and grows with the row number, so a watermark
 * selects a suffix-ish subset.
 */
class SyntheticTable {
  constructor(name, columns, count, refIds = {}) {
    this.name = name;
    this.columns = columns.slice();
    this.count = count;
    this.prefix = KEY_PREFIX[name] || 'a0A';
    this.refIds = refIds; // column name -> array of Ids to pick from
    this.colIndex = new Map(this.columns.map((c, i) => [c.toLowerCase(), i]));
    this.delCol = this.colIndex.get('isdeleted');
    this.types = this.columns.map((c) => inferType(c, []));
    const idc = this.colIndex.get('id');
    if (idc !== undefined) this.types[idc] = 'string';
    this.gens = this.columns.map((c) => this.generator(c));
  }

  /** Pick a generator function (i -> string) for a column name. */
  generator(col) {
    const seed = hash32(col.length, col.charCodeAt(0) * 31 + col.charCodeAt(col.length - 1));
    const pick = (arr) => (i) => arr[hash32(i, seed) % arr.length];
    const last = (i) => LAST[hash32(i, 7) % LAST.length];
    const firstName = (i) => FIRST[hash32(i, 3) % FIRST.length];
    // LastModifiedDate in whole seconds, growing with the row number
    const span = 600 * 86400;
    const modSec = (i) => Math.floor((i / this.count) * span) + (hash32(i, 11) % 86400);
    const iso = isoSeconds;
    if (col === 'Id') return fastIds(this.prefix);
    if (col === 'IsDeleted') return (i) => (i % 997 === 996 ? 'true' : 'false');
    if (this.refIds[col] && this.refIds[col].length) { const ids = this.refIds[col]; return (i) => ids[hash32(i, seed) % ids.length]; }
    if (col === 'LastModifiedDate' || col === 'SystemModstamp') return (i) => iso(modSec(i));
    if (col === 'CreatedDate') return (i) => iso(modSec(i) - (hash32(i, 13) % 400) * 86400);
    if (col === 'FirstName') return firstName;
    if (col === 'LastName') return last;
    if (col === 'Name') return (i) => firstName(i) + ' ' + last(i);
    if (col === 'Email') {
      const local = FIRST.map((f) => LAST.map((l) => (f + '.' + l).normalize('NFD').toLowerCase().replace(/[^a-z.]/g, '')));
      return (i) => local[hash32(i, 3) % FIRST.length][hash32(i, 7) % LAST.length] + i + '@synthetic.example';
    }
    if (/City$/.test(col)) return pick(CITIES);
    if (col === 'Department') return pick(DEPTS);
    if (col === 'Title') return pick(TITLES);
    if (/Phone$/.test(col)) return (i) => (hash32(i, seed) % 3 ? '+1 617 555 ' + String(100 + (i % 9000)).padStart(4, '0') : '');
    if (col === 'Description') return (i) => (i % 5 === 0 ? 'Synthetic row ' + i + ', "quoted", with a comma' : '');
    if (/Id$/.test(col)) return (i) => (i % 4 ? makeId(KEY_PREFIX.Account, (hash32(i, seed) % 50000) + 1) : '');
    const t = inferType(col, []);
    if (t === 'datetime') return (i) => (i % 3 ? iso(modSec(i) - 86400) : '');
    if (t === 'date') return (i) => (i % 3 ? isoDay(Math.floor(modSec(i) / 86400) - 2) : '');
    if (t === 'boolean') return (i) => (hash32(i, seed) & 1 ? 'true' : 'false');
    const pool = Array.from({ length: 1000 }, (_, k) => col + ' ' + k);
    return (i) => { const h = hash32(i, seed); return h % 4 ? pool[h % 1000] : ''; };
  }

  size() { return this.count; }
  get(i, c) { return this.gens[c](i); }
  isDeleted(i) { return i % 997 === 996; }
  find(id) {
    const n = normId(id);
    if (!n || !n.startsWith(this.prefix + '5g')) return undefined;
    const num = [...n.slice(5, 15)].reduce((a, ch) => a * 62 + B62.indexOf(ch), 0) - 1;
    return num >= 0 && num < this.count ? num : undefined;
  }
  snapshot(indices) { return { count: indices.length, value: (k, c) => this.gens[c](indices[k]), indices, table: this }; }
  toObjects() { throw new Error('synthetic table ' + this.name + ' is too large to list'); }

  /**
   * Rendered CSV lines (all columns in table order, all quoted, "," and LF)
   * of rows [b*4096, b*4096+4096), cached: {buf, offs} where line r spans
   * buf[offs[r], offs[r+1]).  Rendering 2 M rows costs ~10 s of CPU once;
   * later result pages of the full projection are copied from here.
   */
  block(b) {
    if (!this.blocks) this.blocks = [];
    let blk = this.blocks[b];
    if (blk) return blk;
    const first = b * 4096;
    const last = Math.min(this.count, first + 4096);
    const offs = new Uint32Array(last - first + 1);
    let buf = Buffer.allocUnsafe(2 * 1024 * 1024);
    let off = 0;
    for (let i = first; i < last; i++) {
      let ln = '';
      for (let c = 0; c < this.gens.length; c++) {
        const v = this.gens[c](i);
        ln += (c ? ',' : '') + (v.indexOf('"') < 0 ? '"' + v + '"' : '"' + v.replace(/"/g, '""') + '"');
      }
      ln += '\n';
      if (off + ln.length * 3 > buf.length) { const nb = Buffer.allocUnsafe(buf.length * 2 + ln.length * 3); buf.copy(nb, 0, 0, off); buf = nb; }
      off += buf.write(ln, off);
      offs[i - first + 1] = off;
    }
    blk = { buf: Buffer.from(buf.subarray(0, off)), offs };
    this.blocks[b] = blk;
    return blk;
  }

  /** Render (and cache) every block now. */
  warm() { for (let b = 0; b * 4096 < this.count; b++) this.block(b); }
}

/** Default columns of a synthetic table when the org has no such file. */
const DEFAULT_COLUMNS = {
  Contact: ['Id', 'AccountId', 'CreatedDate', 'Department', 'Description', 'Email', 'Fax', 'FirstName', 'LastActivityDate',
    'LastName', 'LastModifiedDate', 'LastReferencedDate', 'LastViewedDate', 'LeadSource', 'MailingStreet', 'MailingCity',
    'MailingCountry', 'MailingState', 'Name', 'Phone', 'Title', 'IsDeleted'],
};

// ---------------------------------------------------------------- the org

class Org {
  /**
   * opts: {orgDir, objects (extra writable object defs), writable [OPTIONAL_OBJECTS names],
   * externalIds {obj: [field]},
   * recordTypes {obj: [id]}, synthetic {obj: count}, userId, orgId}
   */
  constructor(opts) {
    this.tables = new Map(); // lower name -> table
    this.defs = {}; // writable objects
    this.counters = {};
    this.recordTypes = {};
    for (const [o, ids] of Object.entries(opts.recordTypes || {})) this.recordTypes[o] = new Set(ids.map((x) => normId(x) || x));
    if (opts.orgDir) {
      for (const f of fs.readdirSync(opts.orgDir).sort()) {
        if (!f.endsWith('.csv')) continue;
        const name = f.slice(0, -4);
        this.tables.set(name.toLowerCase(), loadCsvTable(path.join(opts.orgDir, f), name));
      }
    }
    // writable objects: built-in plus configured; external id fields added
    const defs = JSON.parse(JSON.stringify(BUILTIN_OBJECTS));
    for (const o of opts.writable || []) {
      if (!OPTIONAL_OBJECTS[o]) throw new Error('--writable: no definition for ' + o + ' (known: ' + Object.keys(OPTIONAL_OBJECTS).join(', ') + ')');
      defs[o] = JSON.parse(JSON.stringify(OPTIONAL_OBJECTS[o]));
    }
    for (const [o, d] of Object.entries(opts.objects || {})) defs[o] = { prefix: d.prefix || KEY_PREFIX[o] || 'a0B', fields: { ...(defs[o] ? defs[o].fields : {}), ...d.fields } };
    for (const [o, fields] of Object.entries(opts.externalIds || {})) {
      if (!defs[o]) defs[o] = { prefix: KEY_PREFIX[o] || 'a0B', fields: {} };
      for (const f of fields) defs[o].fields[f] = { type: 'string', length: 255, externalId: true, unique: true };
    }
    for (const [o, d] of Object.entries(defs)) {
      d.name = o;
      d.fields = { ...SYSTEM_FIELDS, ...d.fields };
      d.lower = new Map(Object.keys(d.fields).map((f) => [f.toLowerCase(), f]));
      this.defs[o] = d;
      let t = this.tables.get(o.toLowerCase());
      if (!t) {
        t = new Table(o, [], []);
        this.tables.set(o.toLowerCase(), t);
      }
      for (const [f, fd] of Object.entries(d.fields)) t.addColumn(f, queryType(fd));
      this.counters[o] = t.size() + 1000;
    }
    this.userId = opts.userId || this.firstActiveUser() || makeId('005', 1);
    this.orgId = opts.orgId || makeId('00D', 1);
    // synthetic tables replace seeded ones of the same name
    for (const [o, n] of Object.entries(opts.synthetic || {})) {
      const seeded = this.tables.get(o.toLowerCase());
      const columns = seeded ? seeded.columns : (DEFAULT_COLUMNS[o] || ['Id', 'Name', 'CreatedDate', 'LastModifiedDate', 'IsDeleted']);
      const refIds = {};
      const acc = this.tables.get('account');
      if (acc && acc instanceof Table && acc.idCol !== undefined) refIds.AccountId = acc.rows.map((r) => r[acc.idCol]);
      const users = this.tables.get('user');
      if (users && users instanceof Table && users.idCol !== undefined) refIds.OwnerId = users.rows.map((r) => r[users.idCol]);
      this.tables.set(o.toLowerCase(), new SyntheticTable(seeded ? seeded.name : o, columns, Number(n), refIds));
    }
  }

  /** First active, non-deleted User Id of the seeded org. */
  firstActiveUser() {
    const u = this.tables.get('user');
    if (!u || !(u instanceof Table) || u.idCol === undefined) return null;
    const act = u.colIndex.get('isactive');
    for (let i = 0; i < u.size(); i++) if (!u.isDeleted(i) && (act === undefined || u.get(i, act) === 'true')) return u.get(i, u.idCol);
    return null;
  }

  table(name) { return this.tables.get(String(name).toLowerCase()); }
  def(name) { const k = Object.keys(this.defs).find((o) => o.toLowerCase() === String(name).toLowerCase()); return k ? this.defs[k] : null; }

  /** Next new Id for a writable object. */
  newId(def) { this.counters[def.name] = (this.counters[def.name] || 1000) + 1; return makeId(def.prefix, this.counters[def.name] + 0x2000000); }

  /** Is `id` a live (existing, not deleted) record of one of `objects`?  Active Users only when asked. */
  isLive(id, objects, activeUser) {
    if (id === this.userId && objects.includes('User')) return true;
    for (const o of objects) {
      const t = this.table(o);
      if (!t) continue;
      const i = t.find(id);
      if (i === undefined || t.isDeleted(i)) continue;
      if (activeUser) {
        const act = t.colIndex.get('isactive');
        if (act !== undefined && t.get(i, act) !== 'true') continue;
      }
      return true;
    }
    return false;
  }
}

// ---------------------------------------------------------------- value checks

const DATE_IN = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_IN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/;

/** Normalise an uploaded value of a field type; returns {value} or {error}. */
function convert(def, field, col, raw) {
  const deser = (xsd) => ({ error: "INVALID_FIELD:Failed to deserialize field at col " + col + ". Due to, '" + raw + "' is not a valid value for the type " + xsd + ':' + field + ' --' });
  switch (def.type) {
    case 'date': return DATE_IN.test(raw) && !Number.isNaN(Date.parse(raw)) ? { value: raw } : deser('xsd:date');
    case 'datetime': {
      if (!DATETIME_IN.test(raw)) return deser('xsd:dateTime');
      const ms = Date.parse(/[Zz]$|[+-]\d{2}:?\d{2}$/.test(raw) ? raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2') : raw + 'Z');
      return Number.isNaN(ms) ? deser('xsd:dateTime') : { value: new Date(ms).toISOString() };
    }
    case 'boolean': {
      const l = raw.toLowerCase();
      if (l === 'true' || l === '1') return { value: 'true' };
      if (l === 'false' || l === '0') return { value: 'false' };
      return deser('xsd:boolean');
    }
    case 'int': return /^[+-]?\d+$/.test(raw) ? { value: String(Number(raw)) } : deser('xsd:int');
    case 'double': return NUM_VAL.test(raw) ? { value: raw } : deser('xsd:double');
    default:
      if (def.length && [...raw].length > def.length) {
        return { error: 'STRING_TOO_LONG:' + field + ': data value too large: ' + [...raw].slice(0, 60).join('') +
          (raw.length > 60 ? '...' : '') + ' (max length=' + def.length + '):' + field + ' --' };
      }
      return { value: raw };
  }
}

module.exports = { Org, Table, SyntheticTable, makeId, normId, idSuffix, convert, KEY_PREFIX, hash32 };
