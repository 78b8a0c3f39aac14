// SPDX-License-Identifier: MIT
//
// aa_stats.test.mjs: Administrativ Adgang's usage statistics (Anvendelsesstatistik) in a real
// browser (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with
// --test-login. Every page visited is checked with axe-core (no serious or critical violation)
// and for CSP violations, and screenshotted under build/screenshots/aa-stats-*.png. Covers: the
// front page link for a STATISTICS_ADMINISTRATOR, the overview per day with its grouping form
// (collapsing every dimension gives one row per day), MeMo usage, both dashboards with SVG
// charts that carry an accessible name and their figures as a table, the CSV download links,
// the English page, and refusal for an employee without the right.
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
