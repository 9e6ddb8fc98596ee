'use strict';
// The atf-sqlite package through better-sqlite3 12, with Node's own test
// runner: `npm test` in node/ (after scripts/build), or CTest (label node).
// Traces and environment: helpers.js.

const {test, before} = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const atf = require('..');
const {FIXTURE, VERSION, NAMES_SQL, TWO_53, expectedNames, ...helpers} =
    require('./helpers');

let traces;
before(() => {
  traces = helpers.traces();
});

function openSafe() {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  atf.load(db);
  return db;
}

test('better_sqlite3__load__then_expected_names_and_version', () => {
  const db = new Database(':memory:');
  const names = () => new Set(db.prepare(NAMES_SQL).pluck().all());
  const before = names();
  atf.load(db);
  const added = [...names()].filter((n) => !before.has(n)).sort();
  assert.deepEqual(added, expectedNames());
  assert.equal(db.prepare('SELECT atf_version()').pluck().get(), VERSION);
  assert.equal(require('../package.json').version, VERSION);
  assert.ok(fs.statSync(atf.getLoadablePath()).isFile());
});

// Every INTEGER column of the tables, compared with SQLite's own decimal
// text of the same value: no JavaScript number on the way.
test('safe_integers__every_64_bit_column__then_exact', () => {
  const db = openSafe();
  const columns = {
    atf_events: ['offset', 'size', 'event_id', 'thread_id', 'ts', 'address',
                 'signal_number', 'exit_code'],
    atf_manifest: ['pid', 'session_id', 'time_start_ns', 'time_end_ns',
                   'event_count', 'bytes_written', 'events_bin_size'],
  };
  let above53 = 0, negative = 0, checked = 0;
  const exact = (value, text) => {
    if (text === null) {
      assert.equal(value, null);
      return;
    }
    assert.equal(typeof value, 'bigint');
    assert.equal(value, BigInt(text));
    checked++;
    if (value > TWO_53) above53++;
    if (value < 0n) negative++;  // an unsigned value of 2^63 or more
  };
  for (const trace of traces) {
    for (const [table, cols] of Object.entries(columns)) {
      const sql = `SELECT ${cols.join(', ')}, ${
          cols.map((c) => `CAST(${c} AS TEXT)`).join(', ')} FROM ${table}(?)`;
      for (const row of db.prepare(sql).raw().all(trace)) {
        cols.forEach((_, i) => exact(row[i], row[i + cols.length]));
      }
    }
    // Registers: the JSON text's values, read through json_each.
    const regs = db.prepare(`SELECT j.value, CAST(j.value AS TEXT)
                               FROM atf_events(?) AS e, json_each(e.registers) AS j`)
                     .raw().all(trace);
    assert.ok(regs.length > 0);
    for (const [value, text] of regs) exact(value, text);
  }
  // The traces hold what a double cannot: the checks are not vacuous.
  assert.ok(above53 > 0 && negative > 0, `${above53} above 2^53, ${negative} negative`);
  assert.ok(checked > 10000, `${checked} values`);
});

// Without safe integers better-sqlite3 returns a JavaScript number, rounded
// to 53 bits without an error; JSON.parse(registers) rounds the same way.
test('without_safe_integers__large_values__then_rounded_silently', () => {
  const db = new Database(':memory:');
  atf.load(db);
  const rows = db.prepare(
      'SELECT ts, CAST(ts AS TEXT) AS exact FROM atf_events(?)').all(FIXTURE);
  const wrong = rows.filter((r) => BigInt(r.ts) !== BigInt(r.exact));
  assert.equal(typeof rows[0].ts, 'number');
  assert.ok(wrong.length > 0, 'no timestamp rounded');
  const regs = traces.flatMap((trace) => db.prepare(
      `SELECT e.registers, j.key, CAST(j.value AS TEXT) AS exact
         FROM atf_events(?) AS e, json_each(e.registers) AS j`).all(trace));
  const parsedWrong = regs.filter(
      (r) => BigInt(JSON.parse(r.registers)[r.key]) !== BigInt(r.exact));
  assert.ok(parsedWrong.length > 0, 'JSON.parse rounded no register');
});

// Binding: an unsigned 64-bit value of 2^63 or more is too big for SQLite's
// INTEGER as such; BigInt.asIntN(64, x) gives the INTEGER with the same bits.
test('bigint_binding__unsigned_64_bit__then_asIntN_matches', () => {
  const db = openSafe();
  for (const trace of traces) {
    const addresses = db.prepare(
        `SELECT DISTINCT address FROM atf_events(?)
          WHERE kind = 'function_call'`).pluck().all(trace);
    const count = db.prepare(
        'SELECT count(*) FROM atf_events(?) WHERE address = ?').pluck();
    let high = 0;
    for (const address of addresses) {
      const unsigned = BigInt.asUintN(64, address);  // as the tracer wrote it
      assert.ok(count.get(trace, BigInt.asIntN(64, unsigned)) > 0n);
      if (unsigned >= 2n ** 63n) {
        high++;
        assert.throws(() => count.get(trace, unsigned), RangeError);
      }
    }
    assert.ok(high > 0, `${trace}: no address at or above 2^63`);
  }
  // A register holding 0xffffffffffffffff.
  const rsi = db.prepare(
      `SELECT count(*) FROM atf_events(?)
        WHERE registers ->> '$.rsi' = ?`).pluck();
  assert.ok(rsi.get(FIXTURE, BigInt.asIntN(64, 0xffffffffffffffffn)) > 0n);
});

test('getLoadablePath__no_extension_there__then_error_names_the_file', () => {
  const saved = process.env.ATF_SQLITE_EXTENSION;
  process.env.ATF_SQLITE_EXTENSION = path.join(os.tmpdir(), 'no-such', 'atf.so');
  try {
    assert.throws(() => atf.getLoadablePath(), /no-such\/atf\.so/);
  } finally {
    if (saved === undefined) delete process.env.ATF_SQLITE_EXTENSION;
    else process.env.ATF_SQLITE_EXTENSION = saved;
  }
});

test('load__not_a_database__then_type_error', () => {
  assert.throws(() => atf.load({}), TypeError);
});
