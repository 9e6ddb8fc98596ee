'use strict';
// atf-sqlite for Node: the path of the atf-sqlite SQLite extension (SQL over
// ATF function-call traces) and load(db) for better-sqlite3 and node:sqlite,
// in the manner of sqlite-vec and sqlite-lines.
//
//   const Database = require('better-sqlite3');
//   const atf = require('atf-sqlite');
//   const db = new Database(':memory:');
//   db.defaultSafeIntegers(true);   // 64-bit integers as BigInt, exact
//   atf.load(db);
//
// The extension is the one CMake builds in the repository (build/atf.so,
// beside this folder); ATF_SQLITE_EXTENSION names another atf.so.

const fs = require('node:fs');
const path = require('node:path');

/** The extension's file, for any loader; throws when it is not built. */
function getLoadablePath() {
  const file = process.env.ATF_SQLITE_EXTENSION ||
      path.join(__dirname, '..', 'build', 'atf.so');
  if (!fs.statSync(file, {throwIfNoEntry: false})?.isFile()) {
    throw new Error(
        `atf-sqlite: no extension at ${path.resolve(file)}: build it ` +
        '(scripts/build, or cmake --build build), or set ATF_SQLITE_EXTENSION ' +
        'to an atf.so');
  }
  return file;
}

/**
 * Loads the extension into DB: a better-sqlite3 Database, or a node:sqlite
 * DatabaseSync opened with { allowExtension: true } (Node 22.13 and later;
 * loading is enabled for this call only).
 */
function load(db) {
  const file = getLoadablePath();
  if (db && typeof db.enableLoadExtension === 'function') {
    try {
      db.enableLoadExtension(true);
    } catch (e) {
      throw new Error(
          'atf-sqlite: this node:sqlite database cannot load extensions: ' +
          "open it with new DatabaseSync(file, { allowExtension: true }) (" +
          e.message + ')');
    }
    try {
      db.loadExtension(file);
    } finally {
      db.enableLoadExtension(false);
    }
  } else if (db && typeof db.loadExtension === 'function') {
    db.loadExtension(file);
  } else {
    throw new TypeError(
        'atf-sqlite: load(db) takes a better-sqlite3 Database or a ' +
        'node:sqlite DatabaseSync');
  }
}

module.exports = {getLoadablePath, load};
