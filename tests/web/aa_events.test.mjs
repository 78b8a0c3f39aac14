// SPDX-License-Identifier: MIT
//
// aa_events.test.mjs: Administrativ Adgang's event log (hændelseslog) in a real browser
// (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with --test-login.
// Every page visited is checked with axe-core (no serious or critical violation) and for CSP
// violations, and screenshotted under build/screenshots/aa-events-*.png. Covers: the front
// page link for a MESSAGE_LOG_ADMINISTRATOR, a search by CPR number and by event tag with the
// keyboard, a bad CPR number refused by its field, one letter's events, the evidence page with
// the hash chain verdict, the English page, and refusal for an employee without the right.
//
// Run: node tests/web/aa_events.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, runInBrowser, signIn, signOut, tabTo } from './harness.mjs';

const PETER = 'peter.sagsbehandler@kommunen.dk'; // MESSAGE_LOG_ADMINISTRATOR of Kommunen (demo)
const IDA = 'ida.nyansat@kommunen.dk'; // no rights
const BASE = '/administrativ-adgang/haendelseslog';

const cases = [
  ['an employee without the right is refused', async ({ page, k }) => {
    await signIn(page, k.url, IDA);
    const r = await page.goto(`${k.url}${BASE}`);
    assert(r.status() === 403, 'event log refused');
    await page.goto(`${k.url}/administrativ-adgang/`);
    await signOut(page);
  }],
  ['search by CPR number with the keyboard', async ({ page, k, problems }) => {
    await signIn(page, k.url, PETER);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="${BASE}"]`)]);
    assert(await page.locator('h1').innerText() === 'Hændelseslog', 'Danish heading');
    await check(page, 'aa-events-form', problems);
    await tabTo(page, '#ev-party');
    await page.keyboard.type('0101701234');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const rows = await page.locator('main table tbody tr').count();
    assert(rows >= 3, `events of Jens's letter (${rows})`);
    await check(page, 'aa-events-search', problems);
  }],
  ['a bad CPR number is refused', async ({ page, k, problems }) => {
    await page.fill('#ev-party', '12345');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('.alert-error').count() === 1, 'error shown');
    await check(page, 'aa-events-error', problems);
  }],
  ['one letter, its evidence page', async ({ page, k, problems }) => {
    await page.fill('#ev-party', '');
    await page.selectOption('#ev-tag', 'MEMO_SEND_RECEIVED');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    const link = page.locator(`main table tbody a[href^="${BASE}/brev/"]`).first();
    await Promise.all([page.waitForNavigation(), link.click()]);
    assert(await page.locator('main table tbody tr').count() >= 3, 'the letter\'s events');
    await check(page, 'aa-events-letter', problems);
    await Promise.all([page.waitForNavigation(), page.click('main a[href$="/bevis"]')]);
    assert(await page.locator('.alert-success').count() === 1, 'chain verifies');
    await check(page, 'aa-events-evidence', problems);
    // Printed (what an authority hands a court): the portal's header, menus and footer are
    // left off, the verdict and the events stay.
    await page.emulateMedia({ media: 'print' });
    assert(!(await page.locator('header.header').isVisible()), 'no header in print');
    assert(!(await page.locator('footer').isVisible()), 'no footer in print');
    assert(await page.locator('.alert-success').isVisible(), 'verdict in print');
    assert(await page.locator('main table tbody tr').first().isVisible(), 'events in print');
    await check(page, 'aa-events-evidence-print', problems);
    await page.emulateMedia({ media: 'screen' });
    assert(await page.locator('header.header').isVisible(), 'header on screen');
    await page.goto(`${page.url()}?lang=en`);
    assert((await page.locator('.alert-success').innerText()).includes('verifies'), 'English');
    await check(page, 'aa-events-evidence-en', problems);
  }],
];

await runInBrowser(cases);
