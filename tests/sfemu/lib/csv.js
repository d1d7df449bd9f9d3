'use strict';
/*
 * csv.js - RFC 4180 reading and writing for the Salesforce emulator.
 *
 * Bulk API 2.0 files: a header row of field API names, then records.  The
 * delimiter and the line ending are per job (columnDelimiter, lineEnding).
 * Writing always quotes every value, as Salesforce's query results do.
 */

/** Bulk API columnDelimiter names -> the character. */
const DELIMITERS = {
  COMMA: ',', TAB: '\t', PIPE: '|', SEMICOLON: ';', CARET: '^', BACKQUOTE: '`',
};

/** Bulk API lineEnding names -> the characters. */
const LINE_ENDINGS = { LF: '\n', CRLF: '\r\n' };

/** Quote one value: "..." with inner quotes doubled. null/undefined -> "". */
function quote(v) {
  if (v === null || v === undefined) return '""';
  const s = String(v);
  return s.indexOf('"') < 0 ? '"' + s + '"' : '"' + s.replace(/"/g, '""') + '"';
}

/** One record as a quoted line (without the line ending). */
function line(values, delim = ',') {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i) out += delim;
    out += quote(values[i]);
  }
  return out;
}

/**
 * Parse CSV text.  Returns { rows: [[string]], error: null | message }.
 * Records end with `eol` ("\n" or "\r\n").  With eol "\n" a stray "\r"
 * stays part of the value, as it does at Salesforce when the job's
 * lineEnding does not match the file.  A trailing line ending is optional;
 * empty lines are skipped.
 */
function parse(text, delim = ',', eol = '\n') {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let atFieldStart = true;
  let quoted = false; // current field was quoted
  while (i < n) {
    const c = text[i];
    if (atFieldStart && c === '"') {
      // quoted field: read to the closing quote
      quoted = true;
      atFieldStart = false;
      i++;
      for (;;) {
        if (i >= n) return { rows, error: 'unterminated quoted field in record ' + (rows.length + 1) };
        const j = text.indexOf('"', i);
        if (j < 0) return { rows, error: 'unterminated quoted field in record ' + (rows.length + 1) };
        field += text.slice(i, j);
        if (text[j + 1] === '"') { field += '"'; i = j + 2; continue; }
        i = j + 1;
        break;
      }
      // after the closing quote: delimiter, end of record or end of text
      if (i < n && text[i] !== delim && !text.startsWith(eol, i)) {
        return { rows, error: 'unexpected character after closing quote in record ' + (rows.length + 1) };
      }
      continue;
    }
    if (c === delim) {
      row.push(field); field = ''; atFieldStart = true; quoted = false; i++;
      continue;
    }
    if (c === eol[0] && text.startsWith(eol, i)) {
      row.push(field);
      if (!(row.length === 1 && row[0] === '' && !quoted)) rows.push(row);
      row = []; field = ''; atFieldStart = true; quoted = false; i += eol.length;
      continue;
    }
    if (quoted) return { rows, error: 'unexpected character after closing quote in record ' + (rows.length + 1) };
    if (c === '"') return { rows, error: 'bare quote inside an unquoted field in record ' + (rows.length + 1) };
    // plain run of characters up to the next special one
    let j = i + 1;
    while (j < n) {
      const d = text[j];
      if (d === delim || d === eol[0] || d === '"') break;
      j++;
    }
    field += text.slice(i, j);
    atFieldStart = false;
    i = j;
  }
  if (!atFieldStart || row.length) {
    row.push(field);
    if (!(row.length === 1 && row[0] === '' && !quoted)) rows.push(row);
  }
  return { rows, error: null };
}

module.exports = { DELIMITERS, LINE_ENDINGS, quote, line, parse };
