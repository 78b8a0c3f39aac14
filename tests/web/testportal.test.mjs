// SPDX-License-Identifier: MIT
//
// testportal.test.mjs: the Testportal in a real browser (Debian's chromium, headless,
// playwright-core) on a `kuvert demo` server with --test-login (docs/testportal.md). Every page
// visited is checked with axe-core (no serious or critical violation) and for CSP violations,
// and screenshotted under build/screenshots/testportal-*.png. The flow: an employee with
// TEST_PORTAL makes a test citizen (after a refused form with its field errors), sends a test
// message through the real send path as Kommunen's sender system, signs in as the test
// citizen, reads the letter in the real mailbox, replies, and the reply reaches Kommunen's
// recipient system by REST pull (GET /apis/v1/memos/ with that system's token).
//
// Run: node tests/web/testportal.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { ROOT, assert, check, cli, runInBrowser, signIn } from './harness.mjs';

const TOVE = 'tove.tester@kommunen.dk'; // TEST_PORTAL in Kommunen (demo)
const IDA = 'ida.nyansat@kommunen.dk'; // no rights
const CPR = '9811901234'; // a test CPR: day of month 98
const TITLE = 'Testbrev fra Testportalen';

/** One SQL value from the data directory's database (SQLite or the PostgreSQL pass). */
function dbq(k, sql, ...args) {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests', 'it', 'dbq.py'), k.data, sql,
    ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dbq: ${r.stderr}`);
  return r.stdout.trim().split('\n')[0];
}

const state = {};

const cases = [
  ['an employee without TEST_PORTAL is refused', async ({ page, k }) => {
    await signIn(page, k.url, IDA);
    const r = await page.goto(`${k.url}/testportal/`);
    assert(r.status() === 403, `403 (${r.status()})`);
  }],
  ['the Testportal: a refused form, then a test citizen', async ({ page, k, problems }) => {
    await signIn(page, k.url, TOVE);
    const r = await page.goto(`${k.url}/testportal/`);
    assert(r.status() === 200, 'overview 200');
    assert(await page.locator('h1').innerText() === 'Testportal', 'heading');
    assert(await page.locator('header a[href="/testportal/"]').count() === 1, 'in the header');
    await check(page, 'testportal', problems);
    await Promise.all([page.waitForNavigation(),
      page.click('main nav a[href="/testportal/borger/ny"]')]);
    await page.fill('#tp-name', '');
    await page.fill('#tp-number', '0101701234'); // a real-looking CPR: refused
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('[data-module="error-summary"]').count() === 1, 'error summary');
    assert(await page.locator('#tp-number-error').count() === 1, 'number error by its field');
    assert(await page.locator('#tp-name-error').count() === 1, 'name error by its field');
    assert(await page.getAttribute('#tp-number', 'aria-invalid') === 'true', 'aria-invalid');
    assert(await page.inputValue('#tp-number') === '0101701234', 'value kept');
    await check(page, 'testportal-citizen-errors', problems);
    assert(dbq(k, 'SELECT COUNT(*) FROM test_identities') === '0', 'nothing written');
    await page.fill('#tp-name', 'Browser Testesen');
    await page.fill('#tp-number', CPR);
    await page.check('#tp-status-REGISTERED');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(new URL(page.url()).pathname === '/testportal/', `back at the overview (${page.url()})`);
    assert(await page.locator('.alert-success').count() === 1, 'made');
    assert(await page.locator('#testdata >> text=Browser Testesen').count() === 1, 'listed');
    await check(page, 'testportal-made', problems);
  }],
  ['a test message through the real send path', async ({ page, k, problems }) => {
    await Promise.all([page.waitForNavigation(),
      page.click('main nav a[href="/testportal/brev/ny"]')]);
    await check(page, 'testportal-letter-form', problems);
    await page.selectOption('#tl-system', { label: 'Kommunens sagssystem' });
    await page.fill('#tl-recipient', CPR);
    await page.fill('#tl-title', TITLE);
    await page.fill('#tl-text', 'Hej Browser. Svar gerne på dette brev.');
    await page.setInputFiles('#tl-att1', { name: 'bilag.txt', mimeType: 'text/plain',
      buffer: Buffer.from('Et bilag til testbrevet.\n') });
    await page.check('#tl-reply');
    await Promise.all([page.waitForNavigation(), page.click('main form[action="/testportal/brev/ny"] '
      + 'button[type="submit"]')]);
    assert(await page.locator('#receipt-status').innerText() === 'RECEIVED', 'RECEIVED');
    state.letter = await page.locator('#receipt-uuid').innerText();
    assert(dbq(k, 'SELECT sender_system FROM letters WHERE message_uuid = ?', state.letter).length
      === 36, 'stored as the sender system');
    await check(page, 'testportal-letter-sent', problems);
  }],
  ['sign in as the test citizen, read and reply', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/testportal/`);
    const row = page.locator('#testdata tbody tr', { hasText: 'Browser Testesen' });
    await Promise.all([page.waitForNavigation(), row.locator('button[type="submit"]').click()]);
    assert(new URL(page.url()).pathname === '/post/', `in the mailbox (${page.url()})`);
    assert(await page.locator(`main >> text=${TITLE}`).count() >= 1, 'the letter is listed');
    await check(page, 'testportal-mailbox', problems);
    await page.goto(`${k.url}/post/brev/${state.letter}`);
    assert(await page.locator('main >> text=Svar gerne på dette brev').count() >= 1, 'read');
    await check(page, 'testportal-letter-read', problems);
    await page.goto(`${k.url}/post/brev/${state.letter}/svar`);
    await page.fill('#reply-text', 'Tak for testbrevet. Dette er mit svar.');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    const m = /\/post\/brev\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname);
    assert(m && m[1] !== state.letter, `the reply's page (${page.url()})`);
    state.reply = m[1];
    await check(page, 'testportal-reply-sent', problems);
  }],
  ["the reply reaches the authority's recipient system by REST pull", async ({ k }) => {
    const id = dbq(k, "SELECT id FROM systems WHERE org_cvr = '12345678' AND kind = 'recipient'"
      + ' AND is_default = 1');
    const { token } = JSON.parse(cli(k, ['system', 'rotate-secret', id, '--json']));
    const auth = { Authorization: `Basic ${token}` };
    const list = await (await fetch(`${k.url}/apis/v1/memos/?size=100`, { headers: auth })).json();
    assert(list.content.includes(state.reply), `listed for pull (${JSON.stringify(list.content)})`);
    const r = await fetch(`${k.url}/apis/v1/memos/${state.reply}`, { headers: auth });
    const xml = await r.text();
    assert(r.status === 200 && xml.includes(CPR) && xml.includes(TITLE), 'the reply as MeMo');
  }],
];

await runInBrowser(cases);
