// SPDX-License-Identifier: MIT
//
// aa_citizen.test.mjs: Administrativ Adgang's citizen service and business service in a real
// browser (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with
// --test-login. Every page visited is checked with axe-core (no serious or critical violation)
// and for CSP violations, and screenshotted under build/screenshots/aa-cs-*.png. Covers: the
// look-up form, a look-up without a match, the status page with its actions, a refused
// exemption with the error by its field, an exemption with its receipt, granting a helper
// access with a power of attorney PDF (keyboard and file input), re-registering, NemSMS on the
// citizen's behalf (a refused number by its field, the PIN sent to the number -- an SMS gateway
// played by a local sink -- activates it, then removing it, each with its receipt), and the
// business service's limited exemption of a company.
//
// Run: node tests/web/aa_citizen.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';

import { pinOf, startSink, waitFor } from './gateway_sink.mjs';
import { assert, check, cli, launch, run, signIn, signOut, startKuvert, tempDir, watch }
  from './harness.mjs';

const BIRGIT = 'birgit.borgerservice@kommunen.dk'; // CITIZEN_SERVICE_EMPLOYEE of Kommunen
const RASMUS = 'rasmus.region@regioneksempel.dk'; // BUSINESS_SERVICE_EMPLOYEE of Regioneksempel
const CS = '/administrativ-adgang/borgerservice';
const BS = '/administrativ-adgang/erhvervsservice';

async function lookUp(page, id, name) {
  await page.fill('#cs-id', id);
  await page.fill('#cs-name', name);
  await Promise.all([page.waitForNavigation(), page.press('#cs-name', 'Enter')]);
}

let dir;

const cases = [
  ['look-up form, no match, and the status page', async ({ page, k, problems }) => {
    await signIn(page, k.url, BIRGIT);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="${CS}"]`)]);
    assert(await page.locator('h1').innerText() === 'Borgerservice', 'heading');
    await check(page, 'aa-cs-form', problems);
    await lookUp(page, '2211771212', 'Mette Jensen');
    assert(await page.locator('.alert-warning >> text=Intet match').count() === 1, 'no match');
    await check(page, 'aa-cs-nomatch', problems);
    await lookUp(page, '2211771212', 'Mette Hansen');
    assert((await page.locator('.cs-status').innerText()).includes('Tilmeldt'), 'registered');
    await check(page, 'aa-cs-status', problems);
  }],
  ['a refused exemption, then an exemption with its receipt', async ({ page, k, problems }) => {
    await page.fill('#cs-address', 'Mette Hansen\nStrandvejen 2\n2900 Hellerup');
    await page.check('#cs-channel-person');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/fritag"] button[type="submit"]')]);
    assert(await page.locator('#cs-reason-error').count() === 1, 'reason error by the field');
    await check(page, 'aa-cs-exempt-refused', problems);
    await page.check('#cs-reason-other');
    await page.check('#cs-channel-person');
    await page.fill('#cs-address', 'Mette Hansen\nStrandvejen 2\n2900 Hellerup');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/fritag"] button[type="submit"]')]);
    assert(await page.locator('h1').innerText() === 'Kvittering', 'receipt');
    await check(page, 'aa-cs-receipt-exempt', problems);
    const mb = JSON.parse(cli(k, ['mailbox', 'show', '--cpr', '2211771212', '--json']));
    assert(mb.status === 'EXEMPT', `exempt in the store (${mb.status})`);
  }],
  ['grant a helper access with a power of attorney, then register again', async ({ page, k, problems }) => {
    await page.goto(`${k.url}${CS}`);
    await lookUp(page, '2211771212', 'Mette Hansen');
    const pdf = path.join(dir, 'fuldmagt.pdf');
    fs.writeFileSync(pdf, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    await page.fill('#cs-hcpr', '0707601234');
    await page.fill('#cs-hname', 'Hans Hjælper');
    await page.check('#cs-level-write');
    await page.setInputFiles('#cs-poa', pdf);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/adgang"] button[type="submit"]')]);
    assert(await page.locator('h1').innerText() === 'Kvittering', 'receipt');
    await check(page, 'aa-cs-receipt-access', problems);
    await page.goto(`${k.url}${CS}`);
    await lookUp(page, '2211771212', 'Mette Hansen');
    assert(await page.locator('main table >> text=Hans Hjælper').count() === 1, 'access listed');
    await check(page, 'aa-cs-status-exempt', problems);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/genregistrer"] button')]);
    assert(await page.locator('h1').innerText() === 'Kvittering', 'receipt');
    const mb = JSON.parse(cli(k, ['mailbox', 'show', '--cpr', '2211771212', '--json']));
    assert(mb.status === 'REGISTERED', `registered again (${mb.status})`);
    await signOut(page);
  }],
  ['NemSMS on the citizen\'s behalf: subscribe with the PIN, then remove', async ({ page, k, sms, problems }) => {
    await signIn(page, k.url, BIRGIT);
    await page.goto(`${k.url}${CS}`);
    await lookUp(page, '2211771212', 'Mette Hansen');
    assert((await page.locator('.cs-nemsms').innerText()).includes('Ikke tilmeldt'), 'not subscribed');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms"] button')]);
    assert(await page.locator('h1').innerText() === 'NemSMS', 'NemSMS page');
    await check(page, 'aa-cs-nemsms', problems);
    await page.fill('#cs-nem-mobile', '1234567');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms/nummer"] button')]);
    assert(await page.locator('#cs-nem-mobile-error').count() === 1, 'number error by the field');
    await check(page, 'aa-cs-nemsms-refused', problems);
    await page.fill('#cs-nem-mobile', '41234567');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms/nummer"] button')]);
    assert((await page.locator('.nemsms-pending').innerText()).includes('41234567'), 'waits for its PIN');
    await check(page, 'aa-cs-nemsms-pin', problems);
    const pin = await waitFor(() => pinOf(sms, '41234567'), 'the PIN SMS');
    await page.fill('#cs-nem-pin', pin);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms/bekraeft"] button')]);
    assert(await page.locator('h1').innerText() === 'Kvittering', 'receipt');
    assert(await page.locator('.cs-receipt >> text=41234567').count() === 1, 'number on the receipt');
    await check(page, 'aa-cs-receipt-nemsms', problems);
    await page.goto(`${k.url}${CS}`);
    await lookUp(page, '2211771212', 'Mette Hansen');
    assert((await page.locator('.cs-nemsms').innerText()).includes('41234567'), 'subscribed');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms"] button')]);
    assert((await page.locator('.nemsms-number').innerText()).includes('41234567'), 'in use');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms/fjern"] button')]);
    assert(await page.locator('h1').innerText() === 'Kvittering', 'removal receipt');
    await check(page, 'aa-cs-receipt-nemsms-removed', problems);
    await signOut(page);
  }],
  ['business service exempts a company for a limited period', async ({ page, k, problems }) => {
    await signIn(page, k.url, RASMUS);
    await page.goto(`${k.url}${BS}`);
    await check(page, 'aa-bs-form', problems);
    await lookUp(page, '33445566', 'Bageriet ApS');
    await check(page, 'aa-bs-status', problems);
    await page.check('#cs-reason-other');
    await page.check('#cs-channel-proxy');
    await page.fill('#cs-address', 'Bageriet ApS\nTorvet 1\n4000 Roskilde');
    await page.fill('#cs-until', '2099-12-31');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/fritag"] button[type="submit"]')]);
    assert(await page.locator('h1').innerText() === 'Kvittering', 'receipt');
    await check(page, 'aa-bs-receipt', problems);
  }],
];

await run(cases, {
  async setup() {
    dir = tempDir('kuvert-cs-');
    const sms = await startSink();
    const k = await startKuvert(['--set', 'login_rate=1000', '--sms-gateway', sms.url]);
    const browser = await launch();
    const page = await browser.newPage();
    const problems = watch(page);
    return { k, sms, browser, page, problems };
  },
  async teardown({ k, sms, browser }) {
    await browser.close();
    await k.stop();
    await sms.close();
  },
});
