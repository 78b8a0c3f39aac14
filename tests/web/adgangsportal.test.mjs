// SPDX-License-Identifier: MIT
//
// adgangsportal.test.mjs: the Adgangsportal (/adgangsportal/, docs/adgangsportal.md) in a real
// browser (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with
// --test-login. The demo citizen Mette Hansen signs in from two browsers (two fresh profiles);
// the first sees both browsers ("denne enhed" on itself) and the demo's app devices (Mettes
// iPhone with push, Mettes iPad); it turns notifications off for the iPhone only, then logs the
// other browser out: that browser's next page is the sign-in page while the first stays signed
// in. Every page is checked with axe-core (no serious or critical violation) and for CSP
// violations, and screenshotted under build/screenshots/adgangsportal-*.png.
//
// Run: node tests/web/adgangsportal.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, launch, run, startKuvert, watch } from './harness.mjs';

const METTE = '2211771212';

async function signIn(page, k) {
  await page.goto(`${k.url}/login?next=/adgangsportal/`);
  await page.fill('#subject', METTE);
  await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
  const r = await page.goto(`${k.url}/adgangsportal/`);
  assert(r.status() === 200, 'adgangsportal 200');
}

const rowOf = (page, text) => page.locator('#devices tbody tr', { hasText: text });

const cases = [
  ['two browsers of one citizen and the demo app devices', async ({ a, b, k, problems }) => {
    await signIn(b.page, k);
    await signIn(a.page, k);
    assert(await a.page.locator('h1').innerText() === 'Adgangsportal', 'heading');
    const rows = a.page.locator('#devices tbody tr');
    assert(await rows.count() === 5, `browsers, iPhone, iPad, API token (${await rows.count()})`);
    assert(await a.page.locator('#devices .this-device').count() === 1, 'one "this device"');
    const phone = rowOf(a.page, 'Mettes iPhone');
    assert(/Ja/.test(await phone.innerText()), 'iPhone receives push');
    assert(await rowOf(a.page, 'Mettes iPad').locator('form[action$="/notifikationer-fra"]').count()
      === 0, 'iPad: no push to turn off');
    await check(a.page, 'adgangsportal-devices', problems);
  }],
  ['turn notifications off for the iPhone only', async ({ a, problems }) => {
    await Promise.all([a.page.waitForNavigation(),
      rowOf(a.page, 'Mettes iPhone').locator('form[action$="/notifikationer-fra"] button').click()]);
    assert(/ok=notifikationer-fra/.test(a.page.url()), 'back with a notice');
    assert(await a.page.locator('.alert-success').count() === 1, 'notice shown');
    const phone = rowOf(a.page, 'Mettes iPhone');
    assert(/Nej/.test(await phone.innerText()), 'iPhone push off');
    assert(/Logget ind/.test(await phone.innerText()), 'iPhone still signed in');
    await check(a.page, 'adgangsportal-push-off', problems);
  }],
  ['log the other browser out: it is signed out at once, this one stays', async ({ a, b, k, problems }) => {
    const other = a.page.locator('#devices tbody tr', { hasText: 'Browser' })
      .filter({ hasNot: a.page.locator('.this-device') });
    assert(await other.count() === 1, 'the other browser is listed');
    await Promise.all([a.page.waitForNavigation(),
      other.locator('form[action$="/log-ud"] button').click()]);
    assert(/ok=logget-ud/.test(a.page.url()), 'back with a notice');
    assert(await a.page.locator('#devices tbody tr', { hasText: 'Browser' }).count() === 1,
      'only this browser left');
    await check(a.page, 'adgangsportal-logged-out', problems);
    await b.page.goto(`${k.url}/adgangsportal/`);
    assert(/\/login\?next=/.test(b.page.url()), `the other browser must sign in (${b.page.url()})`);
    const r = await a.page.goto(`${k.url}/adgangsportal/`);
    assert(r.status() === 200, 'this browser still signed in');
  }],
  ['English', async ({ a, k, problems }) => {
    await a.page.goto(`${k.url}/adgangsportal/?lang=en`);
    assert(await a.page.locator('h2').first().innerText() === 'My devices', 'English heading');
    assert(await a.page.locator('#devices .this-device').innerText() === '(this device)', 'this device');
    await check(a.page, 'adgangsportal-en', problems);
  }],
];

await run(cases, {
  async setup() {
    const k = await startKuvert(['--set', 'login_rate=1000']);
    const ba = await launch();
    const bb = await launch();
    const a = { browser: ba, page: await ba.newPage() };
    const b = { browser: bb, page: await bb.newPage() };
    const problems = watch(a.page);
    return { k, a, b, problems };
  },
  async teardown({ k, a, b }) {
    await a.browser.close();
    await b.browser.close();
    await k.stop();
  },
});
