// SPDX-License-Identifier: MIT
//
// notify.test.mjs: the notification settings and NemSMS pages of the mailbox
// (/post/indstillinger/, docs/notifications.md) in a real browser (Debian's chromium, headless,
// playwright-core) on a `kuvert demo` server with --test-login and an SMS gateway played by a
// local HTTP sink in this process. Every page visited is checked with axe-core (no serious or
// critical violation) and for CSP violations, and screenshotted under
// build/screenshots/notify-*.png. Covers: the demo citizen opens the settings from the
// mailbox; adds an e-mail address and confirms it by opening the mailed link (the link is read
// from the mail outbox) and pressing the button; sets a mobile number, a wrong PIN is refused,
// the PIN from the SMS confirms it; saves quiet hours; subscribes to NemSMS with its PIN and
// stops it again; opts out of all notifications. Another citizen does not see the address.
//
// Run: node tests/web/notify.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startSink, pinOf, waitFor } from './gateway_sink.mjs';
import { ROOT, assert, check, launch, run, startKuvert, watch } from './harness.mjs';

const JENS = '0101701234';
const SOFIE = '1502851236';

/** The confirmation link of the last mail to addr in the server's mail outbox (SQLite, or the
 * data directory's schema in the PostgreSQL pass: tests/it/dbq.py). */
function mailedLink(k, addr) {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests', 'it', 'dbq.py'), k.data,
    'SELECT body FROM mail_outbox WHERE to_addr = ? ORDER BY id DESC LIMIT 1', addr],
  { encoding: 'utf8' });
  const m = /(\/notifikationer\/bekraeft\?token=[A-Za-z0-9_-]+)/.exec(r.stdout);
  return m && m[1];
}

async function signIn(page, k, cpr) {
  await page.goto(`${k.url}/logout`).catch(() => {});
  await page.context().clearCookies();
  await page.goto(`${k.url}/login?next=/post/`);
  await page.fill('#subject', cpr);
  await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
}

const cases = [
  ['open the settings from the mailbox', async ({ page, k, problems }) => {
    await signIn(page, k, JENS);
    await Promise.all([page.waitForNavigation(), page.click('main a >> text=Notifikationer')]);
    assert(page.url().endsWith('/post/indstillinger/'), `settings page (${page.url()})`);
    assert(await page.locator('h1').innerText() === 'Notifikationer', 'heading');
    await check(page, 'notify-settings', problems);
  }],
  ['add an e-mail address and confirm it by its link', async ({ page, k, problems }) => {
    await page.fill('#notify-email', 'jens@example.dk');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/email"] button')]);
    assert(/ok=email/.test(page.url()), 'redirected with a notice');
    assert(/afventer bekræftelse/.test(await page.locator('.notify-emails').innerText()), 'waiting');
    await check(page, 'notify-email-added', problems);
    const link = await waitFor(() => mailedLink(k, 'jens@example.dk'), 'the mail');
    await page.goto(k.url + link);
    assert(await page.locator('h1').innerText() === 'Bekræft e-mailadresse', 'link page');
    await check(page, 'notify-link', problems);
    await Promise.all([page.waitForNavigation(), page.click('main form button')]);
    assert(await page.locator('h1').innerText() === 'E-mailadressen er bekræftet', 'confirmed');
    await check(page, 'notify-link-confirmed', problems);
    const again = await page.request.post(`${k.url}/notifikationer/bekraeft`,
      { form: { token: link.split('=')[1] } });
    assert(again.status() === 404, 'a link works once');
    await page.goto(`${k.url}/post/indstillinger/`);
    assert(/jens@example\.dk \(bekræftet\)/.test(await page.locator('.notify-emails').innerText()),
      'listed as confirmed');
  }],
  ['set a mobile number and confirm it with the PIN', async ({ page, sms, problems }) => {
    await page.fill('#notify-mobile', '12345678');
    await page.$eval('#notify-mobile', (e) => e.removeAttribute('pattern'));
    await page.click('form[action$="/mobil"] button');
    await page.waitForLoadState();
    assert(await page.locator('.alert-error').count() === 1, 'a non-Danish number is refused');
    await check(page, 'notify-mobile-refused', problems);
    await page.fill('#notify-mobile', '21234567');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/mobil"] button')]);
    const pin = await waitFor(() => pinOf(sms, '21234567', 'PIN'), 'the PIN SMS');
    await check(page, 'notify-mobile-pin', problems);
    await page.fill('#notify-pin', pin === '000000' ? '111111' : '000000');
    await page.click('form[action$="/mobil/bekraeft"] button');
    await page.waitForLoadState();
    assert(/1 of 5|1 af 5/.test(await page.locator('.alert-error').innerText()), 'wrong PIN counted');
    await page.fill('#notify-pin', pin);
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/mobil/bekraeft"] button')]);
    assert(/21234567 \(bekræftet\)/.test(await page.locator('.notify-mobile').innerText()),
      'confirmed');
    await check(page, 'notify-mobile-confirmed', problems);
  }],
  ['quiet hours', async ({ page, problems }) => {
    await page.fill('#notify-quiet-from', '22:00');
    await page.fill('#notify-quiet-to', '07:00');
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/stille-timer"] button')]);
    assert(await page.inputValue('#notify-quiet-from') === '22:00', 'from kept');
    assert(await page.inputValue('#notify-quiet-to') === '07:00', 'to kept');
    await check(page, 'notify-quiet', problems);
  }],
  ['NemSMS: subscribe with the PIN, then stop', async ({ page, sms, problems }) => {
    await page.fill('#nemsms-mobile', '31234567');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/nemsms"] button')]);
    const pin = await waitFor(() => pinOf(sms, '31234567'), 'the NemSMS PIN');
    await page.fill('#nemsms-pin', pin);
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/nemsms/bekraeft"] button')]);
    assert(/31234567/.test(await page.locator('.nemsms-number').innerText()), 'active');
    await check(page, 'notify-nemsms', problems);
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/nemsms/fjern"] button')]);
    assert(await page.locator('.nemsms-number').count() === 0, 'stopped');
  }],
  ['opt out of all notifications', async ({ page, problems }) => {
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/fravalg"] button')]);
    assert(/fravalgt alle notifikationer/.test(await page.locator('main').innerText()), 'opted out');
    await check(page, 'notify-optout', problems);
  }],
  ['another citizen sees only their own settings', async ({ page, k, problems }) => {
    await signIn(page, k, SOFIE);
    await page.goto(`${k.url}/post/indstillinger/`);
    assert(await page.locator('text=jens@example.dk').count() === 0, 'not Jens\'s address');
    const r = await page.request.post(`${k.url}/post/indstillinger/email`,
      { form: { email: 'x@example.dk' } });
    assert(r.status() === 403, `no form without the CSRF token (${r.status()})`);
    await check(page, 'notify-settings-other', problems);
  }],
];

await run(cases, {
  async setup() {
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
