// SPDX-License-Identifier: MIT
//
// rights.test.mjs: the Rettighedsportal in a real browser (Debian's chromium, headless,
// playwright-core) on a `kuvert demo` server with --test-login. Every page visited is checked
// with axe-core (no serious or critical violation) and for CSP violations, and screenshotted
// under build/screenshots/rights-*.png. Covers: a rettighedsadministrator's overview and
// employee search; the grant flow with the keyboard only (Tab, arrow keys and Enter); revoking;
// a right with a last day; the rule that the organisation keeps a rettighedsadministrator
// (refused with its reason, nothing changes); the context switch between two organisations;
// user groups, external partners, requests and the ask page of an employee without the right.
//
// Run: node tests/web/rights.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, cli, runInBrowser, signIn, tabTo } from './harness.mjs';

const ANNE = 'anne.rettighed@kommunen.dk'; // rettighedsadministrator of Kommunen (demo)
const DORTE = 'dorte.styrelse@demostyrelsen.dk'; // the only one of Demostyrelsen
const MADS = 'mads.madsen@kommunen.dk'; // rettighedsadministrator in Kommunen and the region
const SOEREN = 'soeren.system@kommunen.dk'; // no rettighedsadministrator right

function rights(k, org) {
  return JSON.parse(cli(k, ['user', 'list', '--org', org, '--json']));
}

function held(k, org, email) {
  const e = rights(k, org).employees.find((x) => x.email === email);
  return e.rights.filter((r) => r.status === 'ACTIVE').map((r) => r.type).sort();
}

const cases = [
  ['overview and employee search', async ({ page, k, problems }) => {
    await signIn(page, k.url, ANNE);
    const r = await page.goto(`${k.url}/rettighedsportal/`);
    assert(r.status() === 200, 'overview 200');
    assert(await page.locator('h1').innerText() === 'Overblik', 'Danish heading');
    await check(page, 'rights-overview', problems);
    await page.goto(`${k.url}/rettighedsportal/medarbejdere`);
    await tabTo(page, '#q');
    await page.keyboard.type('ida');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('main table tbody tr').count() === 1, 'one match');
    assert(await page.locator('main table >> text=Ida Nyansat').count() === 1, 'Ida found');
    await check(page, 'rights-employees', problems);
  }],
  ['grant a right with the keyboard only', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/rettighedsportal/medarbejdere?q=ida`);
    await tabTo(page, 'main table a');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(/\/rettighedsportal\/medarbejdere\/\d+$/.test(page.url()), `employee page (${page.url()})`);
    await check(page, 'rights-employee', problems);
    await tabTo(page, '#grant-right');
    for (let i = 0; i < 20 && await page.inputValue('#grant-right') !== 'STATISTICS_ADMINISTRATOR'; i++) {
      await page.keyboard.press('ArrowDown');
    }
    assert(await page.inputValue('#grant-right') === 'STATISTICS_ADMINISTRATOR', 'right chosen');
    await tabTo(page, 'form[action$="/tildel"] button[type="submit"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('.alert-success >> text=Rettigheden er tildelt.').count() === 1,
      'success message');
    assert(await page.locator('main table >> text=Statistikadministrator').count() === 1,
      'listed');
    assert(held(k, '12345678', 'ida.nyansat@kommunen.dk').includes('STATISTICS_ADMINISTRATOR'),
      'stored');
    await check(page, 'rights-employee-granted', problems);
  }],
  ['revoke a right', async ({ page, k, problems }) => {
    const row = page.locator('main table tr', { hasText: 'Statistikadministrator' });
    await Promise.all([page.waitForNavigation(), row.locator('button').click()]);
    assert(await page.locator('.alert-success >> text=Rettigheden er fjernet.').count() === 1,
      'revoked message');
    assert(!held(k, '12345678', 'ida.nyansat@kommunen.dk').includes('STATISTICS_ADMINISTRATOR'),
      'gone from the store');
    await check(page, 'rights-employee-revoked', problems);
  }],
  ['a right with a last day', async ({ page, k, problems }) => {
    await page.selectOption('#grant-right', 'CONTACT_ADMINISTRATOR');
    await page.fill('#grant-until', '2030-06-30');
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/tildel"] button[type="submit"]')]);
    const row = page.locator('main table tr', { hasText: 'Kontaktstrukturadministrator' });
    assert(await row.locator('text=2030-06-30').count() === 1, 'last day shown');
    await check(page, 'rights-employee-until', problems);
  }],
  ['the last rettighedsadministrator cannot be removed', async ({ page, k, problems }) => {
    await signIn(page, k.url, DORTE);
    await page.goto(`${k.url}/rettighedsportal/medarbejdere?q=dorte`);
    await Promise.all([page.waitForNavigation(), page.click('main table a')]);
    const row = page.locator('main table tr', { hasText: 'Rettighedsadministrator' });
    const [resp] = await Promise.all([page.waitForNavigation(), row.locator('button').click()]);
    assert(resp.status() === 409, `409 (${resp.status()})`);
    assert(await page.locator('.alert-error >> text=mindst én rettighedsadministrator').count() === 1,
      'the reason is shown');
    await check(page, 'rights-last-admin-refused', problems);
    assert(held(k, '11223344', DORTE).includes('ORGANISATION_USER_ADMINISTRATOR'), 'unchanged');
  }],
  ['context switch between two organisations', async ({ page, k, problems }) => {
    await signIn(page, k.url, MADS);
    await page.goto(`${k.url}/rettighedsportal/medarbejdere`);
    assert(await page.locator('main >> text=Ida Nyansat').count() === 1, 'Kommunen first');
    await page.selectOption('#context-org', '55667788');
    await Promise.all([page.waitForNavigation(), page.click('form.context-switch button')]);
    assert(new URL(page.url()).pathname === '/rettighedsportal/medarbejdere', 'same page');
    assert(await page.locator('main >> text=Rasmus Region').count() === 1, 'the region now');
    assert(await page.locator('main >> text=Ida Nyansat').count() === 0, 'not Kommunen');
    await check(page, 'rights-context-region', problems);
  }],
  ['groups, partners and requests pages', async ({ page, k, problems }) => {
    await signIn(page, k.url, ANNE);
    await page.goto(`${k.url}/rettighedsportal/grupper`);
    await page.fill('#group-name', 'Statistik');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/rettighedsportal/grupper"] button')]);
    assert(await page.locator('.alert-success').count() === 1, 'group created');
    await check(page, 'rights-group', problems);
    await page.goto(`${k.url}/rettighedsportal/partnere`);
    await page.fill('#partner-cvr', '87654321');
    await page.selectOption('#partner-right', 'MESSAGE_BASIC');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/rettighedsportal/partnere"] button')]);
    assert(await page.locator('main >> text=CVR 87654321').count() === 1, 'partner listed');
    await check(page, 'rights-partners', problems);
    await page.goto(`${k.url}/rettighedsportal/anmodninger`);
    const card = page.locator('.card', { hasText: 'Ida Nyansat' });
    await Promise.all([page.waitForNavigation(), card.locator('button[value="approve"]').click()]);
    assert(await page.locator('.alert-success').count() === 1, 'approved');
    await check(page, 'rights-requests', problems);
  }],
  ['an employee without the right asks for one', async ({ page, k, problems }) => {
    await signIn(page, k.url, SOEREN);
    const r = await page.goto(`${k.url}/rettighedsportal/medarbejdere`);
    assert(r.status() === 403, 'employees page refused');
    await page.goto(`${k.url}/rettighedsportal/`);
    await Promise.all([page.waitForNavigation(), page.click('a[href="/rettighedsportal/anmod"]')]);
    await check(page, 'rights-ask', problems);
    await page.selectOption('#ask-right', 'RECALL_ADMINISTRATOR');
    await page.fill('#ask-note', 'Tilbagekald af breve');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/rettighedsportal/anmod"] button')]);
    assert(await page.locator('.alert-success').count() === 1, 'request sent');
  }],
];

await runInBrowser(cases);
