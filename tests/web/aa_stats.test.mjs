// SPDX-License-Identifier: MIT
//
// aa_stats.test.mjs: Administrativ Adgang's usage statistics (Anvendelsesstatistik) in a real
// browser (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with
// --test-login. Every page visited is checked with axe-core (no serious or critical violation)
// and for CSP violations, and screenshotted under build/screenshots/aa-stats-*.png. Covers: the
// front page link for a STATISTICS_ADMINISTRATOR, the overview per day with its grouping form
// (collapsing every dimension gives one row per day), MeMo usage, both dashboards with SVG
// charts that carry an accessible name and their figures as a table, the CSV download links,
// the English page, a bad period refused by its field (400, the message next to the field,
// the error summary linking to it, what was written and the grouping kept), and refusal for
// an employee without the right.
//
// Run: node tests/web/aa_stats.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, runInBrowser, signIn, signOut } from './harness.mjs';

const PETER = 'peter.sagsbehandler@kommunen.dk'; // STATISTICS_ADMINISTRATOR of Kommunen (demo)
const IDA = 'ida.nyansat@kommunen.dk'; // no rights
const BASE = '/administrativ-adgang/statistik';

const cases = [
  ['an employee without the right is refused', async ({ page, k }) => {
    await signIn(page, k.url, IDA);
    const r = await page.goto(`${k.url}${BASE}`);
    assert(r.status() === 403, 'statistics refused');
    const c = await page.goto(`${k.url}${BASE}/oversigt.csv`);
    assert(c.status() === 403, 'CSV refused');
    await page.goto(`${k.url}/administrativ-adgang/`);
    await signOut(page);
  }],
  ['the overview per day with grouping', async ({ page, k, problems }) => {
    await signIn(page, k.url, PETER);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="${BASE}"]`)]);
    assert(await page.locator('h1').innerText() === 'Anvendelsesstatistik', 'Danish heading');
    const rows = await page.locator('main table tbody tr').count();
    assert(rows >= 2, `rows per combination (${rows})`);
    assert(await page.locator(`main a[href^="${BASE}/oversigt.csv?from="]`).count() === 1,
      'CSV link');
    await check(page, 'aa-stats-overview', problems);
    // collapse every dimension: one row per day (the demo's letters are of one day, or of two
    // when kuvert demo ran across midnight: the days are counted, not assumed)
    const days = new Set(await page.locator('main table tbody tr th[scope="row"]').allInnerTexts());
    assert(days.size >= 1, 'days in the overview');
    for (const box of await page.locator('main input[type="checkbox"]').all()) await box.uncheck();
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('main table tbody tr').count() === days.size, 'one row per day');
    assert(await page.locator('main table thead th').count() === 2, 'day and letters only');
    await check(page, 'aa-stats-overview-collapsed', problems);
    await page.goto(`${k.url}${BASE}?lang=en`);
    assert(await page.locator('h1').innerText() === 'Usage statistics', 'English');
    await check(page, 'aa-stats-overview-en', problems);
    await page.goto(`${k.url}${BASE}?lang=da`);
  }],
  ['a bad period is refused next to its field, what was written kept', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${BASE}`);
    await page.uncheck('#g-sender');
    await page.fill('#st-from', '2026-03-10');
    await page.fill('#st-to', '2026-03-01');
    const [r] = await Promise.all([page.waitForNavigation(),
      page.click('main form button[type="submit"]')]);
    assert(r.status() === 400, `a refused period is a 400 (${r.status()})`);
    assert(await page.locator('h1').innerText() === 'Anvendelsesstatistik', 'the same page');
    assert(await page.locator('.alert-error').count() === 1, 'one error summary');
    const to = page.locator('#st-to');
    assert(await to.getAttribute('aria-invalid') === 'true', 'to-date invalid');
    assert((await to.getAttribute('aria-describedby')).split(' ').includes('st-to-error'),
      'to-date described by its message');
    const msg = await page.locator('#st-to-error').innerText();
    assert(msg.includes('Den sidste dag må ikke ligge før den første'), `message: ${msg}`);
    assert(await page.locator('.form-group.form-error:has(#st-to)').count() === 1,
      'to-date group marked');
    assert(await page.locator('#st-from').getAttribute('aria-invalid') === null,
      'from-date not marked');
    assert(await page.locator('.form-group.form-error').count() === 1, 'one field marked');
    const link = page.locator('.alert-error a[href="#st-to"]');
    assert(await link.innerText() === msg.replace(/^Fejl:\s*/, ''), 'summary of the to-date');
    assert(await page.inputValue('#st-from') === '2026-03-10', 'from-date kept');
    assert(await page.inputValue('#st-to') === '2026-03-01', 'to-date kept');
    assert(!(await page.isChecked('#g-sender')) && await page.isChecked('#g-recipient'),
      'the grouping chosen kept');
    assert(await page.locator('main table').count() === 0, 'no figures for a refused period');
    await check(page, 'aa-stats-error-period', problems);
    await link.click();
    assert(await page.evaluate(() => document.activeElement.id) === 'st-to',
      'the summary\'s link moves to the field');
    // corrected in the same form, the figures come
    await page.fill('#st-from', '2026-02-01');
    const [ok] = await Promise.all([page.waitForNavigation(),
      page.click('main form button[type="submit"]')]);
    assert(ok.status() === 200 && await page.locator('.form-error').count() === 0, 'corrected');
    // a malformed date on a dashboard, in English: shown as written, in a text field
    const bad = await page.goto(`${k.url}${BASE}/afsendelse?from=2026-02-30&to=2026-03-01&lang=en`);
    assert(bad.status() === 400, 'dashboard: 400');
    const dateMsg = await page.locator('#st-from-error').innerText();
    assert(dateMsg.includes('Give the date as YYYY-MM-DD.'), `malformed date: ${dateMsg}`);
    assert(await page.inputValue('#st-from') === '2026-02-30', 'the malformed date kept');
    assert(await page.inputValue('#st-to') === '2026-03-01', 'the other date kept');
    assert(await page.locator('main svg').count() === 0, 'no charts for a refused period');
    await check(page, 'aa-stats-error-date-en', problems);
    await page.goto(`${k.url}${BASE}?lang=da`);
  }],
  ['MeMo usage and the CSV download', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${BASE}/memo-brug`);
    assert(await page.locator('main table tbody tr', { hasText: 'Kommunens sagssystem' }).count() >= 1,
      'sender system row');
    await check(page, 'aa-stats-memo', problems);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`main a[href^="${BASE}/memo-brug.csv"]`),
    ]);
    const file = await download.path();
    const { readFileSync } = await import('node:fs');
    const body = readFileSync(file);
    assert(body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf, 'BOM');
    assert(body.toString('utf8').includes('startDate;endDate;senderIdentifier'), 'columns');
  }],
  ['the two dashboards', async ({ page, k, problems }) => {
    for (const [path, name] of [['afsendelse', 'Afsendelse'], ['modtagelse', 'Modtagelse']]) {
      await page.goto(`${k.url}${BASE}/${path}`);
      assert((await page.locator('h2').first().innerText()).includes(name), `${name} heading`);
      const charts = await page.locator('main svg[role="img"]').count();
      assert(charts >= 3, `${name}: charts (${charts})`);
      for (const svg of await page.locator('main svg[role="img"]').all()) {
        const id = await svg.getAttribute('aria-labelledby');
        assert(id && (await page.locator(`[id="${id}"]`).textContent()).length > 3, 'chart name');
      }
      await page.locator('main details summary').first().click();
      assert(await page.locator('main details[open] table tbody tr').count() >= 1, 'as a table');
      await check(page, `aa-stats-${path}`, problems);
    }
  }],
];

await runInBrowser(cases);
