// SPDX-License-Identifier: MIT
//
// harness.mjs: shared pieces of kuvert's browser tests (tests/web/*.test.mjs): start a
// `kuvert serve` on a fresh demo data directory, start Debian's chromium headless through
// playwright-core with a fresh profile, and visit pages so that each visit also runs axe-core
// (zero serious or critical violations allowed), records Content-Security-Policy violations
// and saves a screenshot under build/screenshots/; sign in at the test login and out again.
// A tiny case runner prints "ok N - name" / "not ok N - name" lines and a closing
// "N passed, N failed" line.
//
// Environment: KUVERT (the binary; default build/release/kuvert), KUVERT_ROOT (checkout),
// CHROMIUM (default /usr/bin/chromium), SCREENSHOTS (default build/screenshots).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import axe from 'axe-core';
import { chromium } from 'playwright-core';

export const ROOT = process.env.KUVERT_ROOT ||
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KUVERT = process.env.KUVERT || path.join(ROOT, 'build', 'release', 'kuvert');
const SHOTS = process.env.SCREENSHOTS || path.join(ROOT, 'build', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // KUVERT_REAL and KUVERT_TEST_PG: the PostgreSQL pass (tests/kuvert-pg.sh, tests/run.sh)
    if (!k.startsWith('KUVERT_') || ['KUVERT_ROOT', 'KUVERT_REAL', 'KUVERT_TEST_PG'].includes(k)) {
      env[k] = v;
    }
  }
  env.ASAN_OPTIONS ||= 'detect_leaks=1:abort_on_error=0';
  env.LSAN_OPTIONS ||= `suppressions=${path.join(ROOT, 'tests', 'lsan.supp')}:print_suppressions=0`;
  return { ...env, ...extra };
}

/** Reads the first stdout line of child matching re (bounded wait). */
function firstLine(child, re, what, ms = 60000) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), ms);
    rl.on('line', (line) => {
      const m = line.match(re);
      if (m) {
        clearTimeout(timer);
        rl.close();
        resolve(m);
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited ${code}`)));
  });
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `kuvert demo` into a fresh data directory, then `kuvert serve --test-login --test-clock
 * ARGS`. Returns {url, data, stop()}; stop() sends SIGTERM and checks exit status 0. */
export async function startKuvert(args = [], { listen = '127.0.0.1:0' } = {}) {
  const data = path.join(tempDir('kuvert-web-'), 'data');
  const demo = spawnSync(KUVERT, ['demo', '--data', data], { env: childEnv(), encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`kuvert demo failed: ${demo.stderr}`);
  const log = fs.openSync(`${data}.server.log`, 'a');
  const child = spawn(KUVERT, ['serve', '--data', data, '--listen', listen, '--test-login',
    '--test-clock', ...args], { env: childEnv(), stdio: ['ignore', 'pipe', log] });
  const m = await firstLine(child, /^kuvert: listening on (http:\/\/\S+)$/, 'kuvert serve');
  return {
    url: m[1],
    data,
    child,
    log: () => fs.readFileSync(`${data}.server.log`, 'utf8'),
    async advanceClock(duration) {
      const r = await fetch(`${m[1]}/test/clock`, { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ advance: duration }) });
      if (r.status !== 200) throw new Error(`test clock: ${r.status}`);
    },
    stop() {
      return new Promise((resolve, reject) => {
        child.once('exit', (code) => (code === 0 ? resolve() :
          reject(new Error(`kuvert serve exited ${code}:\n${fs.readFileSync(`${data}.server.log`, 'utf8').slice(-3000)}`))));
        child.kill('SIGTERM');
      });
    },
  };
}

/** Runs `kuvert ARGS --data DATA` (an admin command next to the running server). */
export function cli(k, args) {
  const r = spawnSync(KUVERT, [...args, '--data', k.data], { env: childEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kuvert ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The test OpenID provider (oidc_provider.mjs) for kuvert's callback URL. */
export async function startProvider(redirect) {
  const child = spawn(process.execPath, [path.join(ROOT, 'tests', 'web', 'oidc_provider.mjs'),
    '--redirect', redirect], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const m = await firstLine(child, /^oidc-provider: listening on (http:\/\/\S+)$/, 'oidc-provider');
  const post = (p, body) => fetch(m[1] + p, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { issuer: m[1], setPerson: (c) => post('/__test/next', c),
    setMode: (mode) => post('/__test/mode', { mode }), stop: () => child.kill('SIGTERM') };
}

/** Chromium with a fresh profile directory. Returns a Playwright BrowserContext. */
export async function launch() {
  const profile = tempDir('kuvert-chromium-');
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM,
    headless: true, args: FLAGS, viewport: { width: 1280, height: 900 }, locale: 'da-DK' });
  // Playwright's default of 30 s per action or navigation is short for an ASan build on a
  // loaded machine; a page that never comes still fails, after 90 s.
  context.setDefaultTimeout(90000);
  context.setDefaultNavigationTimeout(90000);
  return context;
}

/** Watches a page for CSP violations and JavaScript errors. */
export function watch(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

const visited = new Set();

/** Checks the page now shown: axe-core (no serious/critical violation), no CSP violation,
 * and a full-page screenshot build/screenshots/NAME.png. Returns the axe results. */
export async function check(page, name, problems = []) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.evaluate(axe.source);
  const res = await page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    throw new Error(`axe on ${name}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.help} ` +
      `at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
  }
  if (problems.length) throw new Error(`${name}: ${problems.join('; ')}`);
  visited.add(name);
  return res;
}

/** Presses Tab until the focused element matches selector (at most max presses). */
export async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s),
      selector)) return;
  }
  throw new Error(`keyboard: never reached ${selector} with Tab`);
}

/** Signs in at base's test login as subject (an employee's e-mail or a CPR number) and waits
 * for the page it leads to. */
export async function signIn(page, base, subject) {
  await page.goto(`${base}/login`);
  await page.fill('#subject', subject);
  await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
}

/** Signs out with the page's own sign-out button and waits for the page it leads to. */
export async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** Runs cases [[name, async fn], ...] in order; prints TAP-like lines and the summary. */
export async function run(cases, { setup, teardown } = {}) {
  let passed = 0;
  let failed = 0;
  let ctx;
  try {
    ctx = setup ? await setup() : {};
  } catch (e) {
    console.log(`not ok 0 - setup: ${e.stack || e}`);
    console.log(`0 passed, ${cases.length} failed`);
    process.exit(1);
  }
  let n = 0;
  for (const [name, fn] of cases) {
    n++;
    try {
      await fn(ctx);
      passed++;
      console.log(`ok ${n} - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok ${n} - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
    }
  }
  try {
    if (teardown) await teardown(ctx);
  } catch (e) {
    failed++;
    console.log(`not ok ${n + 1} - teardown: ${e.stack || e}`);
  }
  console.log(`# pages checked with axe and screenshotted: ${[...visited].sort().join(', ')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

/** run() with the usual context: a kuvert server started with args, one Chromium page
 * watched for console errors; { k, browser, page, problems } is what each case receives. */
export async function runInBrowser(cases, args = ['--set', 'login_rate=1000']) {
  await run(cases, {
    async setup() {
      const k = await startKuvert(args);
      const browser = await launch();
      const page = await browser.newPage();
      const problems = watch(page);
      return { k, browser, page, problems };
    },
    async teardown({ k, browser }) {
      await browser.close();
      await k.stop();
    },
  });
}
