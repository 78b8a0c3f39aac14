// SPDX-License-Identifier: MIT
//
// portal.test.mjs: kuvert's web layer in a real browser (Debian's chromium, headless, driven
// by playwright-core). Every page visited is checked with axe-core (no serious or critical
// violation), for CSP violations and for not needing JavaScript, and screenshotted under
// build/screenshots/. Covers: the front page in Danish and English, sign-in both ways (test
// sign-in with the keyboard only; OpenID Connect through a real provider, and a refused
// forged token), the portal roots, the error pages, CSRF refusal, sign-out and session expiry.
//
// Run: node tests/web/portal.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import net from 'node:net';

import { assert, check, cli, launch, run, startKuvert, startProvider, tabTo, watch } from './harness.mjs';

const CPR = '2211771212'; // Mette Hansen in `kuvert demo`

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function noScripts(page) {
  assert(await page.evaluate(() => document.querySelectorAll('script').length) === 0,
    'pages carry no script: they work without JavaScript');
}

async function signInByKeyboard(page, base) {
  await page.goto(`${base}/login`);
  await tabTo(page, '#subject');
  await page.keyboard.type(CPR);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

const cases = [
  ['front page in Danish, styled with DKFDS', async ({ page, k, problems }) => {
    const r = await page.goto(`${k.url}/`);
    assert(r.status() === 200, 'status 200');
    assert(await page.getAttribute('html', 'lang') === 'da', 'lang da');
    assert((await page.title()).startsWith('Forside'), 'Danish title');
    const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    assert(/IBM Plex Sans/.test(font), `DKFDS font applied (${font})`);
    for (const p of ['/post/', '/adgangsportal/', '/administrativ-adgang/', '/rettighedsportal/',
      '/testportal/', '/openapi.yaml']) {
      assert(await page.locator(`main a[href="${p}"]`).count() === 1, `link to ${p}`);
    }
    assert(await page.locator('text=Testlogin er slået til').count() === 1, 'test-login banner');
    await noScripts(page);
    await check(page, 'front-da', problems);
  }],
  ['English selectable and remembered', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/`);
    await page.click('a[hreflang="en"]');
    assert(await page.getAttribute('html', 'lang') === 'en', 'lang en');
    assert((await page.title()).startsWith('Front page'), 'English title');
    await check(page, 'front-en', problems);
    await page.goto(`${k.url}/login`);
    assert(await page.getAttribute('html', 'lang') === 'en', 'English remembered');
    await page.click('a[hreflang="da"]');
    assert(await page.getAttribute('html', 'lang') === 'da', 'back to Danish');
  }],
  ['portal root sends a stranger to sign-in', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/`);
    assert(new URL(page.url()).pathname === '/login', `at the sign-in page (${page.url()})`);
    assert(await page.locator(`button[value="${CPR}"]`).count() === 1, 'test identity listed');
    await check(page, 'login', problems);
  }],
  ['test sign-in with the keyboard only', async ({ page, k, problems }) => {
    await signInByKeyboard(page, k.url);
    assert(new URL(page.url()).pathname === '/', `back on the front page (${page.url()})`);
    assert(await page.locator('.portal-user >> text=Mette Hansen').count() === 1, 'name shown');
    await page.goto(`${k.url}/post/`);
    assert(await page.locator('h1').innerText() === 'Post', 'Post portal');
    await noScripts(page);
    await check(page, 'post', problems);
  }],
  ['every portal root works signed in', async ({ page, k, problems }) => {
    for (const [p, name] of [['/adgangsportal/', 'adgangsportal'],
      ['/administrativ-adgang/', 'administrativ-adgang'], ['/rettighedsportal/', 'rettighedsportal']]) {
      // the Testportal is for employees with TEST_PORTAL: tests/web/testportal.test.mjs
      const r = await page.goto(k.url + p);
      assert(r.status() === 200 && new URL(page.url()).pathname === p, `${p} shown (${page.url()})`);
      await check(page, name, problems);
    }
  }],
  ['404 page', async ({ page, k, problems }) => {
    const r = await page.goto(`${k.url}/no/such/page`);
    assert(r.status() === 404, '404');
    assert(await page.locator('h1').innerText() === 'Siden findes ikke', 'heading');
    await check(page, 'error-404', problems);
  }],
  ['a form with a wrong CSRF token is refused and changes nothing', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/`);
    await page.evaluate(() => {
      document.querySelector('form[action="/logout"] input[name="csrf"]').value = 'x'.repeat(43);
    });
    const [resp] = await Promise.all([page.waitForNavigation(),
      page.click('form[action="/logout"] button')]);
    assert(resp.status() === 403, `403 (${resp.status()})`);
    await check(page, 'error-403', problems);
    const r = await page.goto(`${k.url}/post/`);
    assert(r.status() === 200 && new URL(page.url()).pathname === '/post/', 'still signed in');
  }],
  ['sign-out with the keyboard revokes the session', async ({ page, k }) => {
    await page.goto(`${k.url}/post/`);
    await tabTo(page, 'form[action="/logout"] button');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(new URL(page.url()).pathname === '/', 'front page');
    assert(await page.locator('.portal-user a[href="/login"]').count() === 1, 'signed out');
    await page.goto(`${k.url}/post/`);
    assert(new URL(page.url()).pathname === '/login', 'portal needs sign-in again');
  }],
  ['an idle session ends', async ({ page, k }) => {
    await signInByKeyboard(page, k.url);
    await page.goto(`${k.url}/post/`);
    assert(new URL(page.url()).pathname === '/post/', 'signed in');
    await k.advanceClock('31m');
    await page.goto(`${k.url}/post/`);
    assert(new URL(page.url()).pathname === '/login', 'sent to sign-in after 31 idle minutes');
  }],
  ['an employee switches organisation with the keyboard only', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/login`);
    await tabTo(page, '#subject');
    await page.keyboard.type('anne@kommunen.example');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await page.goto(`${k.url}/administrativ-adgang/`);
    assert(await page.inputValue('#context-org') === '12345678', 'first organisation chosen');
    await check(page, 'context-switch', problems);
    await tabTo(page, '#context-org');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, 'form.context-switch button');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(new URL(page.url()).pathname === '/administrativ-adgang/', 'back on the same page');
    assert(await page.inputValue('#context-org') === '55667788', 'switched to the region');
  }],
  ['sign-in with OpenID Connect through a real provider', async ({ page, k, prov, problems }) => {
    await prov.setMode('normal');
    await prov.setPerson({ sub: 'c-7', name: 'Jens Jensen', cpr: '0101701234' });
    await page.goto(`${k.url}/login?next=/post/`);
    await tabTo(page, 'a[href^="/login/oidc"]');
    await Promise.all([page.waitForURL(`${k.url}/post/`), page.keyboard.press('Enter')]);
    assert(await page.locator('.portal-user >> text=Jens Jensen').count() === 1, 'name shown');
    await check(page, 'post-oidc', problems);
  }],
  ['a forged ID token is refused with a clear page', async ({ page, k, prov, problems }) => {
    await prov.setMode('forged');
    try {
      await page.goto(`${k.url}/login`);
      await page.click('a[href^="/login/oidc"]');
      await page.waitForURL(/\/login\/oidc\/callback/);
    } finally {
      await prov.setMode('normal');
    }
    assert(await page.locator('h1').innerText() === 'Login afvist', 'refusal heading');
    await check(page, 'oidc-refused', problems);
  }],
];

await run(cases, {
  async setup() {
    // The provider must know kuvert's callback URL before kuvert starts, so kuvert listens on
    // a port picked beforehand; another process may take it in between (other tests run on
    // this machine), so a start that fails is tried again on a fresh port, at most 5 times.
    let prov;
    let k;
    for (let attempt = 0; !k; attempt++) {
      const port = await freePort();
      prov = await startProvider(`http://127.0.0.1:${port}/login/oidc/callback`);
      try {
        k = await startKuvert(['--set', `oidc_issuer=${prov.issuer}`, '--set',
          'oidc_client_id=kuvert', '--set', 'oidc_client_secret=kuvert-test-secret', '--set',
          'login_rate=1000'], { listen: `127.0.0.1:${port}` });
      } catch (e) {
        prov.stop();
        if (attempt === 4) throw e;
      }
    }
    for (const org of ['12345678', '55667788']) {
      cli(k, ['user', 'add', '--org', org, '--name', 'Anne Admin', '--email',
        'anne@kommunen.example', '--right', 'ORGANISATION_USER_ADMINISTRATOR']);
    }
    const browser = await launch();
    const page = await browser.newPage();
    const problems = watch(page);
    return { k, prov, browser, page, problems };
  },
  async teardown({ k, prov, browser }) {
    await browser.close();
    prov.stop();
    await k.stop();
  },
});
