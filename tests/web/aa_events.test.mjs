// SPDX-License-Identifier: MIT
//
// aa_events.test.mjs: Administrativ Adgang's event log (hændelseslog) in a real browser
// (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with --test-login.
// Every page visited is checked with axe-core (no serious or critical violation) and for CSP
// violations, and screenshotted under build/screenshots/aa-events-*.png. Covers: the front
// page link for a MESSAGE_LOG_ADMINISTRATOR, a search by CPR number and by event tag with the
// keyboard, a bad CPR number and free text refused next to their fields (message, aria-invalid,
// aria-describedby, an error summary linking to them, what was written kept), a reversed
// period refused at the to-date, one letter's events, the evidence page with
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
  ['a bad CPR number is refused by its field, what was written kept', async ({ page, k, problems }) => {
    await page.fill('#ev-party', '12345');
    await page.fill('#ev-q', 'not-a-uuid <b>');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('.alert-error').count() === 1, 'one error summary');
    // each refused field: marked, its message next to it, described by it, invalid
    for (const [id, words] of [['ev-party', 'CPR'], ['ev-q', 'UUID']]) {
      const input = page.locator(`#${id}`);
      assert(await input.getAttribute('aria-invalid') === 'true', `${id} aria-invalid`);
      const by = (await input.getAttribute('aria-describedby')).split(' ');
      assert(by.includes(`${id}-error`), `${id} described by its message (${by})`);
      const msg = await page.locator(`#${id}-error`).innerText();
      assert(msg.includes(words), `${id} message: ${msg}`);
      assert(await page.locator(`.form-group.form-error:has(#${id})`).count() === 1,
        `${id} group marked`);
      // the summary links to the field, and following the link lands on it
      const link = page.locator(`.alert-error a[href="#${id}"]`);
      assert(await link.innerText() === msg.replace(/^Fejl:\s*/, ''), `summary of ${id}`);
    }
    assert(await page.inputValue('#ev-party') === '12345', 'the CPR field keeps what was written');
    assert(await page.inputValue('#ev-q') === 'not-a-uuid <b>', 'the free text is kept, escaped');
    assert(await page.locator('#ev-tag').getAttribute('aria-invalid') === null, 'tag not marked');
    await page.click('.alert-error a[href="#ev-party"]');
    assert(await page.evaluate(() => document.activeElement.id) === 'ev-party',
      'the summary\'s link moves to the field');
    await check(page, 'aa-events-error', problems);
  }],
  ['a period that ends before it starts is refused by the to-date, the dates kept', async ({ page, k, problems }) => {
    await page.fill('#ev-party', '');
    await page.fill('#ev-q', '');
    await page.fill('#ev-from', '2026-03-10');
    await page.fill('#ev-to', '2026-03-01');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('#ev-to').getAttribute('aria-invalid') === 'true', 'to-date invalid');
    assert(await page.locator('#ev-from').getAttribute('aria-invalid') === null, 'from not marked');
    assert(await page.locator('.alert-error a[href="#ev-to"]').count() === 1, 'summary link');
    assert(await page.inputValue('#ev-from') === '2026-03-10', 'from-date kept');
    assert(await page.inputValue('#ev-to') === '2026-03-01', 'to-date kept');
    await check(page, 'aa-events-error-period', problems);
    await page.goto(`${k.url}${BASE}?from=2026-02-30&to=2026-03-01&lang=en`);
    const dateMsg = await page.locator('#ev-from-error').innerText();
    assert(dateMsg.includes('Give the date as YYYY-MM-DD.'), `a malformed date, in English: ${dateMsg}`);
    await check(page, 'aa-events-error-date-en', problems);
    await page.goto(`${k.url}${BASE}?lang=da`);
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
