// speedscope_test.mjs - opens an exported profile in speedscope (served from
// the npm package in view/node_modules, on 127.0.0.1) in Debian's Chromium,
// driven by playwright-core, and checks that the trace's function names are
// shown. speedscope draws its flame views on a canvas; its sandwich view is
// a table in the DOM, which is read here, one profile (thread) after the
// other. Screenshots of each view are kept in ARTIFACTS.
//
// usage: node speedscope_test.mjs VIEW_DIR PROFILE NAMES ARTIFACTS PREFIX
//                                 PROFILES [TITLE]
//   PROFILE    the file to open (Chrome JSON or folded stacks), or the
//              file:// URL speedscope's own command opened (scripts/view)
//   NAMES      lines "symbol<TAB>demangled": each function must show under
//              one of the two names (speedscope demangles C++ itself)
//   PROFILES   how many profiles speedscope must make of it (one per thread
//              for Chrome JSON, one for folded stacks)
//   TITLE      text the toolbar must show on the first profile (the process
//              name and pid of the trace), if given
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const [viewDir, profile, namesFile, artifacts, prefix, profilesArg, title] =
  process.argv.slice(2);
const require = createRequire(path.join(path.resolve(viewDir), 'package.json'));
const { chromium } = require('playwright-core');
const release = path.join(path.dirname(require.resolve('speedscope/package.json')),
  'dist', 'release');
const wantProfiles = Number(profilesArg);
const names = fs.readFileSync(namesFile, 'utf8').split('\n').filter(Boolean)
  .map((line) => line.split('\t'));
fs.mkdirSync(artifacts, { recursive: true });

// speedscope's files, and the profile, from this process only.
const server = http.createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = url === `/p/${path.basename(profile)}` ? profile
    : path.join(release, path.normalize(url).replace(/^(\.\.[/\\])+/, ''));
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404);
      res.end();
      return;
    }
    const type = file.endsWith('.html') ? 'text/html'
      : file.endsWith('.js') ? 'text/javascript'
        : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type });
    res.end(data);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

// The flags that work on this project's machines (no network beyond the
// loopback: background connections off), WebGL through SwiftShader.
const browser = await chromium.launch({
  executablePath: process.env.ATF_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--enable-unsafe-swiftshader'],
  timeout: 60000,
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.setDefaultTimeout(30000);
  const url = profile.startsWith('file://') ? profile
    : `${base}/index.html#profileURL=${encodeURIComponent(`${base}/p/${path.basename(profile)}`)}`;
  await page.goto(`${url}&view=time-ordered`);
  await page.getByText('Sandwich').waitFor();
  // The views that draw on a canvas, as pictures for a person to look at.
  // (and their top, where a small trace's frames are: the README's).
  const top = { x: 0, y: 0, width: 1280, height: 200 };
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(artifacts, `${prefix}-time-order.png`) });
  await page.screenshot({ path: path.join(artifacts, `${prefix}-time-order-top.png`), clip: top });
  await page.keyboard.press('2');
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(artifacts, `${prefix}-left-heavy.png`) });
  await page.screenshot({ path: path.join(artifacts, `${prefix}-left-heavy-top.png`), clip: top });
  await page.keyboard.press('3');
  await page.getByText('Symbol Name').waitFor();

  const shown = new Set();
  const toolbar = await page.locator('body').innerText();
  if (title && !toolbar.includes(title)) {
    console.error(`the toolbar does not show "${title}":\n${toolbar.slice(0, 300)}`);
    failed = true;
  }
  for (let i = 0; i < wantProfiles; i++) {
    if (wantProfiles > 1) {
      await page.getByText(`(${i + 1}/${wantProfiles})`).waitFor();
    }
    await page.waitForTimeout(300);
    const text = await page.locator('body').innerText();
    for (const line of text.split('\n')) shown.add(line.trim());
    await page.screenshot({ path: path.join(artifacts, `${prefix}-sandwich-${i + 1}.png`) });
    if (i + 1 < wantProfiles) await page.keyboard.press('n');
  }
  if (wantProfiles > 1 && (await page.getByText(`/${wantProfiles + 1})`).count())) {
    console.error(`more than ${wantProfiles} profiles`);
    failed = true;
  }
  const missing = names.filter(([sym, dem]) => !shown.has(sym) && !shown.has(dem));
  if (missing.length) {
    console.error(`not shown in the sandwich tables: ${JSON.stringify(missing)}`);
    failed = true;
  }
  if (errors.length) {
    console.error(`errors in the page: ${errors.join('\n')}`);
    failed = true;
  }
  console.log(`${prefix}: ${names.length - missing.length}/${names.length} functions ` +
    `shown over ${wantProfiles} profile(s); screenshots in ${artifacts}`);
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
