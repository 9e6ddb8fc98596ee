'use strict';
// What the tests share: the traces, the expected SQL names, the version.
// Environment, all optional:
//   ATF_SQLITE_EXTENSION  the atf.so under test (default ../build/atf.so)
//   ATF_TEST_TRACE        the generated trace (default: generated into a
//                         temporary folder with ATF_GEN, default
//                         ../build/atf-gen --seed 7 --events 5000 --threads 4)
//   ATF_EXPECTED_NAMES    default ../tests/expected_sql_names.txt
//   ATF_VERSION           the project's version (default: package.json's)

const {execFileSync} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(
    ROOT, 'tests/fixtures/ada_traces/session_20251125_170812/pid_4242');
const NAMES_FILE = process.env.ATF_EXPECTED_NAMES ||
    path.join(ROOT, 'tests/expected_sql_names.txt');
const VERSION = process.env.ATF_VERSION ||
    require('../package.json').version;
const NAMES_SQL = `SELECT 'function ' || name || ' ' || narg AS n
                     FROM pragma_function_list
                   UNION SELECT 'module ' || name FROM pragma_module_list`;
const TWO_53 = 2n ** 53n;

/** The bundled fixture and the generated trace. */
function traces() {
  let generated = process.env.ATF_TEST_TRACE;
  if (!generated) {
    const gen = process.env.ATF_GEN || path.join(ROOT, 'build', 'atf-gen');
    generated = path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), 'atf-node-')), 'pid_7');
    execFileSync(gen, ['--seed', '7', '--events', '5000', '--threads', '4',
                       generated]);
    process.env.ATF_TEST_TRACE = generated;
  }
  return [FIXTURE, generated];
}

function expectedNames() {
  return fs.readFileSync(NAMES_FILE, 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter((line) => line !== '')
      .sort();
}

module.exports = {ROOT, FIXTURE, VERSION, NAMES_SQL, TWO_53, traces,
                  expectedNames};
