'use strict';
/*
 * soql.js - the SOQL subset that the emulator's Bulk API 2.0 query jobs run.
 *
 *   SELECT f1, f2, ... FROM Object
 *     [WHERE cond {AND|OR} cond ...]    cond: field op literal | field [NOT] IN (lit, ...)
 *                                       | NOT cond | ( conds ); mixing AND and OR on one
 *                                       level without parentheses is an error, as in SOQL
 *     [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
 *     [LIMIT n]
 *
 * op: = != <> < <= > >= LIKE.  Literals: 'strings' (backslash escapes), numbers,
 * true/false, null, dates 2026-11-27 and dateTimes 2026-11-27T19:59:59Z
 * (optional .SSS millis, Z or +hh:mm/-hh:mm).  Keywords and field/object
 * names are case-insensitive; string comparisons too (as in SOQL).
 *
 * Errors are thrown as SoqlError with Salesforce-like messages; the server
 * turns them into 400 [{"errorCode":"INVALIDJOB","message":...}].
 */

class SoqlError extends Error {}

const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ORDER', 'BY',
  'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'LIMIT', 'TRUE', 'FALSE', 'NULL', 'GROUP', 'OFFSET', 'HAVING']);
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER_RE = /^[+-]?\d+(\.\d+)?(?![\w.])/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/;

/** Split SOQL text into tokens {t: kind, v: value, pos: column (1-based)}. */
function tokenize(text) {
  const toks = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const rest = text.slice(i);
    let m;
    if (c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw malformed(text, i, 'unterminated string literal');
        const d = text[j];
        if (d === '\\') {
          const e = text[j + 1];
          v += { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' }[e] || e;
          j += 2;
          continue;
        }
        if (d === "'") break;
        v += d;
        j++;
      }
      toks.push({ t: 'str', v, pos: i + 1 });
      i = j + 1;
    } else if ((m = DATETIME_RE.exec(rest))) {
      const ms = Date.parse(m[0].replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      if (Number.isNaN(ms)) throw malformed(text, i, 'invalid dateTime literal ' + m[0]);
      toks.push({ t: 'datetime', v: ms, raw: m[0], pos: i + 1 });
      i += m[0].length;
    } else if ((m = DATE_RE.exec(rest))) {
      toks.push({ t: 'date', v: m[0], pos: i + 1 });
      i += m[0].length;
    } else if ((m = NUMBER_RE.exec(rest))) {
      toks.push({ t: 'num', v: Number(m[0]), pos: i + 1 });
      i += m[0].length;
    } else if ((m = IDENT_RE.exec(rest))) {
      const up = m[0].toUpperCase();
      toks.push(KEYWORDS.has(up) ? { t: 'kw', v: up, pos: i + 1 } : { t: 'id', v: m[0], pos: i + 1 });
      i += m[0].length;
    } else if ((m = /^(<=|>=|!=|<>|=|<|>)/.exec(rest))) {
      toks.push({ t: 'op', v: m[0] === '<>' ? '!=' : m[0], pos: i + 1 });
      i += m[0].length;
    } else if (c === ',' || c === '(' || c === ')') {
      toks.push({ t: c, v: c, pos: i + 1 });
      i++;
    } else {
      throw malformed(text, i, "unexpected token: '" + c + "'");
    }
  }
  return toks;
}

/** A MALFORMED_QUERY error pointing at a column of the query. */
function malformed(text, idx, what) {
  return new SoqlError('MALFORMED_QUERY: \n' + text + '\n' + ' '.repeat(Math.max(0, idx)) +
    '^\nERROR at Row:1:Column:' + (idx + 1) + '\n' + what);
}

/** Parse SOQL text into {fields, object, where, orderBy, limit}. */
function parse(text) {
  const toks = tokenize(text);
  let p = 0;
  const peek = () => toks[p];
  const at = (t, v) => toks[p] && toks[p].t === t && (v === undefined || toks[p].v === v);
  const fail = (what) => {
    const tok = toks[p];
    const idx = tok ? tok.pos - 1 : text.length;
    return malformed(text, idx, what || (tok ? "unexpected token: '" + (tok.raw || tok.v) + "'" : 'unexpected end of query'));
  };
  const expect = (t, v) => { if (!at(t, v)) throw fail(); return toks[p++]; };

  expect('kw', 'SELECT');
  const fields = [];
  for (;;) {
    if (!at('id')) {
      if (at('kw', 'FROM')) throw fail("unexpected token: 'FROM'");
      throw fail();
    }
    const f = toks[p++];
    if (at('(')) throw new SoqlError('FeatureNotEnabled : Aggregate queries, FIELDS() and functions are not supported by Bulk API 2.0 query: ' + f.v);
    fields.push({ name: f.v, pos: f.pos });
    if (at(',')) { p++; continue; }
    break;
  }
  expect('kw', 'FROM');
  const obj = expect('id');
  let where = null;
  if (at('kw', 'WHERE')) { p++; where = parseOr(); }
  if (at('kw', 'GROUP') || at('kw', 'OFFSET') || at('kw', 'HAVING')) {
    throw new SoqlError('FeatureNotEnabled : ' + peek().v + ' is not supported by Bulk API 2.0 query');
  }
  const orderBy = [];
  if (at('kw', 'ORDER')) {
    p++;
    expect('kw', 'BY');
    for (;;) {
      const f = expect('id');
      let desc = false;
      if (at('kw', 'ASC')) p++;
      else if (at('kw', 'DESC')) { p++; desc = true; }
      let nullsLast = false;
      if (at('kw', 'NULLS')) {
        p++;
        if (at('kw', 'FIRST')) p++;
        else if (at('kw', 'LAST')) { p++; nullsLast = true; } else throw fail();
      }
      orderBy.push({ name: f.v, pos: f.pos, desc, nullsLast });
      if (at(',')) { p++; continue; }
      break;
    }
  }
  let limit = null;
  if (at('kw', 'LIMIT')) {
    p++;
    const n = expect('num');
    if (!Number.isInteger(n.v) || n.v < 0) throw fail();
    limit = n.v;
  }
  if (p < toks.length) {
    if (at('kw', 'OFFSET') || at('kw', 'GROUP')) throw new SoqlError('FeatureNotEnabled : ' + peek().v + ' is not supported by Bulk API 2.0 query');
    throw fail();
  }
  return { fields, object: { name: obj.v, pos: obj.pos }, where, orderBy, limit };

  // condition grammar: or := and (OR and)* ; and := not (AND not)* ; SOQL forbids a
  // bare mix, so "a AND b OR c" is rejected like Salesforce does.
  function parseOr() {
    const first = parseNot();
    if (!at('kw', 'AND') && !at('kw', 'OR')) return first;
    const op = peek().v;
    const parts = [first];
    while (at('kw', op)) { p++; parts.push(parseNot()); }
    if (at('kw', 'AND') || at('kw', 'OR')) throw fail();
    return { t: op.toLowerCase(), parts };
  }
  function parseNot() {
    if (at('kw', 'NOT')) { p++; return { t: 'not', part: parseNot() }; }
    if (at('(')) { p++; const e = parseOr(); expect(')'); return e; }
    const f = expect('id');
    if (at('kw', 'NOT') || at('kw', 'IN')) {
      let neg = false;
      if (at('kw', 'NOT')) { p++; neg = true; }
      expect('kw', 'IN');
      expect('(');
      const vals = [literal()];
      while (at(',')) { p++; vals.push(literal()); }
      expect(')');
      return { t: 'in', field: f.v, pos: f.pos, neg, vals };
    }
    let op;
    if (at('kw', 'LIKE')) { p++; op = 'like'; } else op = expect('op').v;
    return { t: 'cmp', field: f.v, pos: f.pos, op, lit: literal() };
  }
  function literal() {
    const tok = peek();
    if (!tok) throw fail();
    if (tok.t === 'str' || tok.t === 'num' || tok.t === 'datetime' || tok.t === 'date') { p++; return tok; }
    if (tok.t === 'kw' && (tok.v === 'TRUE' || tok.v === 'FALSE')) { p++; return { t: 'bool', v: tok.v === 'TRUE', pos: tok.pos }; }
    if (tok.t === 'kw' && tok.v === 'NULL') { p++; return { t: 'null', v: null, pos: tok.pos }; }
    throw fail();
  }
}

/** Salesforce's message for an unknown field. */
function noSuchColumn(text, pos, name, entity) {
  return new SoqlError('\n' + text + '\n' + ' '.repeat(pos - 1) + '^\nERROR at Row:1:Column:' + pos +
    "\nNo such column '" + name + "' on entity '" + entity + "'. If you are attempting to use a custom field, " +
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call " +
    'for the appropriate names.');
}

const TYPE_WORD = { datetime: 'dateTime', date: 'date', boolean: 'boolean', number: 'double', string: 'string', id: 'id' };

/** Parse a stored value of a typed column into something comparable (null = empty). */
function valueOf(type, s) {
  if (s === '' || s === undefined || s === null) return null;
  switch (type) {
    case 'datetime': { const v = Date.parse(s); return Number.isNaN(v) ? null : v; }
    case 'number': { const v = Number(s); return Number.isNaN(v) ? null : v; }
    case 'boolean': return s.toLowerCase() === 'true';
    case 'date': return s;
    default: return s.toLowerCase();
  }
}

/** Convert a literal token for comparison with a column of `type`, or throw. */
function literalFor(type, lit, field, text) {
  if (lit.t === 'null') return null;
  const bad = () => new SoqlError("INVALID_FIELD: \n" + text + "\n" + ' '.repeat(lit.pos - 1) +
    '^\nERROR at Row:1:Column:' + lit.pos + "\nvalue of filter criterion for field '" + field +
    "' must be of type " + TYPE_WORD[type] + ' and should not be enclosed in quotes');
  switch (type) {
    case 'datetime': if (lit.t !== 'datetime') throw bad(); return lit.v;
    case 'date': if (lit.t !== 'date') throw bad(); return lit.v;
    case 'boolean': if (lit.t !== 'bool') throw bad(); return lit.v;
    case 'number': if (lit.t !== 'num') throw bad(); return lit.v;
    default: if (lit.t !== 'str') throw bad(); return lit.v.toLowerCase();
  }
}

/** SQL LIKE pattern (% and _) -> case-insensitive RegExp. */
function likeRegex(pat) {
  let re = '';
  for (const ch of pat) re += ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + re + '$', 'is');
}

/**
 * Compile a parsed query against a table
 * ({name, columns, types, colIndex: Map(lower name -> i), get(i, c)}).
 * Returns {cols: [column index], header: [names], filter(i) | null, compare(a, b) | null, limit}.
 */
function compile(q, table, text) {
  const col = (name, pos) => {
    const c = table.colIndex.get(name.toLowerCase());
    if (c === undefined) throw noSuchColumn(text, pos, name, table.name);
    return c;
  };
  const cols = q.fields.map((f) => col(f.name, f.pos));
  const header = cols.map((c) => table.columns[c]);
  const get = table.get.bind(table);

  function cond(e) {
    if (e.t === 'and') { const ps = e.parts.map(cond); return (i) => ps.every((f) => f(i)); }
    if (e.t === 'or') { const ps = e.parts.map(cond); return (i) => ps.some((f) => f(i)); }
    if (e.t === 'not') { const f = cond(e.part); return (i) => !f(i); }
    const c = col(e.field, e.pos);
    const type = table.types[c];
    if (e.t === 'in') {
      const set = new Set(e.vals.map((l) => literalFor(type, l, table.columns[c], text)));
      return (i) => set.has(valueOf(type, get(i, c))) !== e.neg;
    }
    if (e.op === 'like') {
      if (e.lit.t !== 'str') throw new SoqlError('MALFORMED_QUERY: LIKE needs a string literal');
      const re = likeRegex(e.lit.v);
      return (i) => re.test(get(i, c) || '');
    }
    const lit = literalFor(type, e.lit, table.columns[c], text);
    const op = e.op;
    if (lit === null) {
      if (op === '=') return (i) => valueOf(type, get(i, c)) === null;
      if (op === '!=') return (i) => valueOf(type, get(i, c)) !== null;
      return () => false;
    }
    return (i) => {
      const v = valueOf(type, get(i, c));
      if (v === null) return op === '!=';
      switch (op) {
        case '=': return v === lit;
        case '!=': return v !== lit;
        case '<': return v < lit;
        case '<=': return v <= lit;
        case '>': return v > lit;
        default: return v >= lit;
      }
    };
  }
  const filter = q.where ? cond(q.where) : null;

  let compare = null;
  if (q.orderBy.length) {
    const keys = q.orderBy.map((o) => ({ c: col(o.name, o.pos), desc: o.desc, nullsLast: o.nullsLast }));
    compare = (a, b) => {
      for (const k of keys) {
        const t = table.types[k.c];
        const va = valueOf(t, get(a, k.c));
        const vb = valueOf(t, get(b, k.c));
        if (va === vb) continue;
        if (va === null) return k.nullsLast ? 1 : -1;
        if (vb === null) return k.nullsLast ? -1 : 1;
        const r = va < vb ? -1 : 1;
        return k.desc ? -r : r;
      }
      return a - b;
    };
  }
  return { cols, header, filter, compare, limit: q.limit };
}

module.exports = { SoqlError, parse, compile, tokenize };
