// SPDX-License-Identifier: MIT
//
// aa_systems.test.mjs: Administrativ Adgang's sender and recipient systems in a real browser
// (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with --test-login.
// Every page visited is checked with axe-core (no serious or critical violation) and for CSP
// violations, and screenshotted under build/screenshots/aa-*.png. Covers: the portal's front
// page for a systemadministrator and for an employee without the right; the systems list with
// health columns; a system's page; renewing the API token with the keyboard only (confirmation
// step, token shown once); deactivate and activate; the English pages; creating and editing a
// system with the keyboard only (errors by the fields); recall before the value date.
//
// Run: node tests/web/aa_systems.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, cli, runInBrowser, signIn, signOut, tabTo } from './harness.mjs';

const SOEREN = 'soeren.system@kommunen.dk'; // SYSTEM_MANAGER of Kommunen (demo)
const IDA = 'ida.nyansat@kommunen.dk'; // no rights
const BASE = '/administrativ-adgang/systemer';

function show(k, id) {
  return JSON.parse(cli(k, ['system', 'show', id, '--json']));
}

const cases = [
  ['an employee without the right sees no functions and is refused the list', async ({ page, k, problems }) => {
    await signIn(page, k.url, IDA);
    const r = await page.goto(`${k.url}/administrativ-adgang/`);
    assert(r.status() === 200, 'front page 200');
    assert(await page.locator(`main a[href="${BASE}"]`).count() === 0, 'no systems link');
    await check(page, 'aa-front-no-rights', problems);
    const r2 = await page.goto(`${k.url}${BASE}`);
    assert(r2.status() === 403, 'systems refused');
    await signOut(page);
  }],
  ['the systems list with health for a systemadministrator', async ({ page, k, problems }) => {
    await signIn(page, k.url, SOEREN);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await check(page, 'aa-front', problems);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="${BASE}"]`)]);
    assert(await page.locator('h1').innerText() === 'Afsender- og modtagesystemer', 'Danish heading');
    assert(await page.locator('.aa-org >> text=Kommunen (CVR 12345678)').count() === 1,
      'acts for Kommunen');
    assert(await page.locator('main table tbody tr').count() >= 2, 'sender and recipient listed');
    for (const col of ['Kø', 'Seneste vellykkede levering', 'Fejler siden', 'Advarsler sendt']) {
      assert(await page.locator(`main table th >> text=${col}`).count() === 1, `column ${col}`);
    }
    await check(page, 'aa-systems', problems);
    await page.goto(`${k.url}${BASE}?lang=en`);
    assert(await page.locator('h1').innerText() === 'Sender and recipient systems', 'English');
    await check(page, 'aa-systems-en', problems);
    await page.goto(`${k.url}${BASE}?lang=da`);
  }],
  ['renew the API token with the keyboard only', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${BASE}`);
    const row = page.locator('main table tbody tr', { hasText: 'Modtagesystem' }).first();
    const href = await row.locator('a').getAttribute('href');
    const id = href.split('/').pop();
    await tabTo(page, `main a[href="${href}"]`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(new URL(page.url()).pathname === href, `system page (${page.url()})`);
    await check(page, 'aa-system', problems);
    await tabTo(page, 'main a[href$="/nyt-token"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, 'aa-system-token-confirm', problems);
    await tabTo(page, 'form[action$="/nyt-token"] button[type="submit"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const token = await page.inputValue('#token');
    assert(token.length > 60, 'token shown');
    const r = await fetch(`${k.url}/apis/v1/memos/`, { headers: { Authorization: `Basic ${token}` } });
    assert(r.status === 200, `new token works (${r.status})`);
    await check(page, 'aa-system-token', problems);
    await page.goto(`${k.url}${href}`);
    assert(!(await page.content()).includes(token), 'token shown only once');
    assert(show(k, id).status === 'active', 'still active');
  }],
  ['deactivate and activate a system', async ({ page, k, problems }) => {
    const id = new URL(page.url()).pathname.split('/').pop();
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/deaktiver"] button')]);
    assert(await page.locator('.alert-success').count() === 1, 'confirmed');
    assert(show(k, id).status === 'deactivated', 'deactivated in the store');
    await check(page, 'aa-system-deactivated', problems);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/aktiver"] button')]);
    assert(show(k, id).status === 'active', 'active again');
  }],
  ['create and edit a system with the keyboard only; errors next to the fields', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${BASE}`);
    await tabTo(page, `main a[href="${BASE}/ny"]`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, 'aa-system-new', problems);
    await tabTo(page, '#sys-protocol-pull');
    await page.keyboard.press('ArrowDown'); // REST push
    assert(await page.isChecked('#sys-protocol-push'), 'push chosen with the arrow key');
    await tabTo(page, '#sys-name');
    await page.keyboard.type('Tastatursystemet');
    await tabTo(page, '#sys-contact_email');
    await page.keyboard.type('ikke-en-adresse');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('#sys-push_url-error').count() === 1, 'endpoint error by the field');
    assert(await page.locator('#sys-contact_email-error').count() === 1, 'e-mail error by the field');
    assert(await page.getAttribute('#sys-contact_email', 'aria-invalid') === 'true', 'aria-invalid');
    await check(page, 'aa-system-new-errors', problems);
    await tabTo(page, '#sys-push_url');
    await page.keyboard.type('https://modtag.kommunen.dk/push');
    await tabTo(page, '#sys-contact_email');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('drift@kommunen.dk');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const token = await page.inputValue('#token');
    assert(token.length > 60, 'token shown once');
    await check(page, 'aa-system-created', problems);
    await tabTo(page, 'main a[href^="/administrativ-adgang/systemer/"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const id = new URL(page.url()).pathname.split('/').pop();
    const sys = show(k, id);
    assert(sys.name === 'Tastatursystemet' && sys.protocol === 'push', `stored (${JSON.stringify(sys)})`);
    await tabTo(page, 'main a[href$="/rediger"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, 'aa-system-edit', problems);
    await tabTo(page, '#sys-name');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Omdøbt system');
    // the further fields: a range with host bits set is refused next to its field
    await tabTo(page, '#sys-technical_contact');
    await page.keyboard.type('Ole Olsen, 12 34 56 78');
    await tabTo(page, '#sys-supplier');
    await page.keyboard.type('KMD');
    await tabTo(page, '#sys-allowed_ips');
    await page.keyboard.type('10.0.0.1/8');
    await tabTo(page, '#sys-active_to');
    await page.keyboard.type('2099-12-31');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('#sys-allowed_ips-error').count() === 1, 'IP error by the field');
    assert((await page.locator('#sys-allowed_ips-error').innerText()).includes('10.0.0.0/8'),
      'the error suggests the network');
    await check(page, 'aa-system-edit-errors', problems);
    await tabTo(page, '#sys-allowed_ips');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('10.0.0.0/8, 127.0.0.1');
    await tabTo(page, '#sys-active_to');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('.alert-success').count() === 1, 'saved');
    const saved = show(k, id);
    assert(saved.name === 'Omdøbt system', 'renamed in the store');
    assert(JSON.stringify(saved.allowedIps) === '["10.0.0.0/8","127.0.0.1"]' &&
      saved.activeTo === '2099-12-31' && saved.supplier === 'KMD',
      `further fields stored (${JSON.stringify(saved)})`);
    assert(await page.locator('main >> text=10.0.0.0/8, 127.0.0.1').count() === 1,
      'shown on the system page');
  }],
  ['recall a waiting letter after confirmation', async ({ page, k, problems }) => {
    const dorte = 'dorte.styrelse@demostyrelsen.dk';
    cli(k, ['user', 'grant', '--org', '11223344', '--right', 'RECALL_ADMINISTRATOR', '--email', dorte]);
    await signOut(page);
    await signIn(page, k.url, dorte);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await Promise.all([page.waitForNavigation(),
      page.click('main a[href="/administrativ-adgang/tilbagekald"]')]);
    assert(await page.locator('main table >> text=Årsopgørelse').count() === 1, 'waiting letter listed');
    await check(page, 'aa-recall', problems);
    await Promise.all([page.waitForNavigation(), page.click('main table a')]);
    await check(page, 'aa-recall-confirm', problems);
    await tabTo(page, 'main form button[type="submit"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('.alert-success').count() === 1, 'recalled');
    assert(await page.locator('main table >> text=Årsopgørelse').count() === 0, 'no longer waiting');
    await check(page, 'aa-recall-done', problems);
  }],
];

await runInBrowser(cases);
