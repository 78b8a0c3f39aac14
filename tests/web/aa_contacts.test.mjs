// SPDX-License-Identifier: MIT
//
// aa_contacts.test.mjs: Administrativ Adgang's contact structure in a real browser (Debian's
// chromium, headless, playwright-core) on a `kuvert demo` server with --test-login. Every page
// visited is checked with axe-core (no serious or critical violation) and for CSP violations,
// and screenshotted under build/screenshots/aa-contact*.png. Covers: the tree of the demo's
// groups and points; creating a contact point with the keyboard only (a size above the legal
// bound refused next to its field, then saved with a code and search words); a new group and
// moving it; the delete confirmation; and the conflict page a second, stale save gets.
//
// Run: node tests/web/aa_contacts.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, cli, runInBrowser, signIn, tabTo } from './harness.mjs';

const SOEREN = 'soeren.system@kommunen.dk'; // SYSTEM_MANAGER and CONTACT_ADMINISTRATOR (demo)
const BASE = '/administrativ-adgang/kontaktstruktur';

function points(k) {
  const out = JSON.parse(cli(k, ['contact-point', 'list', '--org', '12345678', '--json']));
  return Object.fromEntries(out.contactPoints.map((p) => [p.name, p]));
}

const cases = [
  ['the tree of groups and points from the front page', async ({ page, k, problems }) => {
    await signIn(page, k.url, SOEREN);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="${BASE}"]`)]);
    assert(await page.locator('h1').innerText() === 'Kontaktstruktur', 'Danish heading');
    const teknik = page.locator('li.cs-group', { has: page.locator('> strong.cs-name', { hasText: 'Teknik og miljø' }) });
    assert(await teknik.locator('li.cs-group > strong.cs-name', { hasText: 'Byggesager' }).count() === 1,
      'Byggesager nested in Teknik og miljø');
    assert(await teknik.locator('li.cs-point > .cs-name', { hasText: 'Byggetilladelser' }).count() === 1,
      'the point under its group');
    await check(page, 'aa-contacts', problems);
    await page.goto(`${k.url}${BASE}?lang=en`);
    assert(await page.locator('h1').innerText() === 'Contact structure', 'English');
    await check(page, 'aa-contacts-en', problems);
    await page.goto(`${k.url}${BASE}?lang=da`);
  }],
  ['create a contact point with the keyboard only; errors next to the fields', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${BASE}`);
    await tabTo(page, `main a[href="${BASE}/kontaktpunkter/ny"]`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, 'aa-contact-point-new', problems);
    await tabTo(page, '#cp-name');
    await page.keyboard.type('Skat og gæld');
    await tabTo(page, '#cp-description');
    await page.keyboard.type('Spørgsmål om restskat');
    await tabTo(page, '#cp-terms');
    await page.keyboard.type('restskat');
    await page.keyboard.press('Enter');
    await page.keyboard.type('afdrag');
    await tabTo(page, '#cp-code-0-type');
    await page.keyboard.press('ArrowDown'); // SOR
    await tabTo(page, '#cp-code-0-code');
    await page.keyboard.type('123456789');
    await tabTo(page, '#cp-mb');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('50'); // citizens and companies may write: at most 40
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('#cp-mb-error').count() === 1, 'size error by the field');
    assert((await page.locator('#cp-mb-error').innerText()).includes('40 MB'), 'the legal bound');
    assert(await page.getAttribute('#cp-mb', 'aria-invalid') === 'true', 'aria-invalid');
    assert(await page.inputValue('#cp-name') === 'Skat og gæld', 'typed values kept');
    await check(page, 'aa-contact-point-errors', problems);
    assert(!('Skat og gæld' in points(k)), 'nothing created');
    await tabTo(page, '#cp-mb');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('40');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('.alert-success').count() === 1, 'created');
    const p = points(k)['Skat og gæld'];
    assert(p && p.memoSizeThresholdMB === 40, `stored (${JSON.stringify(p)})`);
    assert(JSON.stringify(p.searchTerms.map((t) => t.term)) === '["restskat","afdrag"]', 'terms');
    assert(p.contactPointCodes.length === 1 && p.contactPointCodes[0].type === 'SOR' &&
      p.contactPointCodes[0].code === '123456789', 'code');
    await check(page, 'aa-contacts-created', problems);
  }],
  ['a new group, moved under another, and the delete confirmation', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${BASE}/grupper/ny`);
    await check(page, 'aa-contact-group-new', problems);
    await page.fill('#cg-name', 'Skole og dagtilbud');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('.alert-success').count() === 1, 'group created');
    const item = page.locator('.cs-group', { hasText: 'Skole og dagtilbud' });
    await Promise.all([page.waitForNavigation(), item.locator('a', { hasText: 'Flyt' }).first().click()]);
    await check(page, 'aa-contact-group-edit', problems);
    await page.selectOption('#cg-parent', { label: 'Borgerservice' });
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    const bs = page.locator('li.cs-group', { has: page.locator('> strong.cs-name', { hasText: 'Borgerservice' }) });
    assert(await bs.locator('li.cs-group > strong.cs-name', { hasText: 'Skole og dagtilbud' }).count() === 1,
      'moved under Borgerservice');
    const moved = page.locator('.cs-group .cs-group', { hasText: 'Skole og dagtilbud' });
    await Promise.all([page.waitForNavigation(), moved.locator('a', { hasText: 'Slet' }).first().click()]);
    await check(page, 'aa-contact-group-delete', problems);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('main >> text=Skole og dagtilbud').count() === 0, 'deleted');
  }],
  ['the second of two concurrent saves gets the conflict page', async ({ page, k, problems, browser }) => {
    const id = points(k).Byggetilladelser.id;
    const other = await browser.newPage();
    await other.goto(`${k.url}${BASE}/kontaktpunkter/${id}`);
    await page.goto(`${k.url}${BASE}/kontaktpunkter/${id}`);
    await check(page, 'aa-contact-point-edit', problems);
    await other.fill('#cp-description', 'Skrevet af den første');
    await Promise.all([other.waitForNavigation(), other.click('main form button[type="submit"]')]);
    assert(await other.locator('.alert-success').count() === 1, 'first save');
    await other.close();
    await page.fill('#cp-description', 'Skrevet af den anden');
    await Promise.all([page.waitForNavigation(), page.click('main form button[type="submit"]')]);
    assert(await page.locator('#conflict').count() === 1, 'conflict alert');
    assert(await page.inputValue('#cp-description') === 'Skrevet af den første', 'current version in the form');
    assert(await page.locator('main table >> text=Skrevet af den anden').count() === 1, 'what was entered');
    await check(page, 'aa-contact-point-conflict', problems);
    assert(points(k).Byggetilladelser.description === 'Skrevet af den første', 'second save not written');
  }],
];

await runInBrowser(cases);
