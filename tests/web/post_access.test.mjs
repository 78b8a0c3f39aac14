// SPDX-License-Identifier: MIT
//
// post_access.test.mjs: read access for a helper at /post/, in real browsers (two chromium
// profiles: the helper and the owner) on a `kuvert demo` server with --test-login. Every page
// visited is checked with axe-core and for CSP violations and screenshotted under
// build/screenshots/post-access-*.png. The whole flow: the helper (demo citizen Sofie Nielsen)
// asks for read access to Mette Hansen's post by first name, last name and CPR (a wrong name is
// refused first); Mette sees the request and approves it; Sofie switches mailbox and reads a
// letter from before the grant; with read access she has no reply or permanent-delete button
// and a forged write form is refused with 403; Mette's activity log names Sofie; Mette revokes
// the access; Sofie then sees nothing of Mette's post (the letter's address is "not found").
//
// Run: node tests/web/post_access.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, launch, run, startKuvert, watch } from './harness.mjs';

const METTE = '2211771212'; // demo citizen with "Velkommen til Digital Post"
const SOFIE = '1502851236'; // demo citizen, the helper
const TITLE = 'Velkommen til Digital Post';

async function signIn(page, k, cpr) {
  await page.goto(`${k.url}/login?next=/post/`);
  await page.fill('#subject', cpr);
  await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
}

let letterPath = '';

const cases = [
  ['the helper asks for read access (a wrong name is refused first)',
    async ({ helper: page, k, hp }) => {
      await signIn(page, k, SOFIE);
      await page.goto(`${k.url}/post/`);
      await Promise.all([page.waitForNavigation(), page.click('a >> text=Adgang til post')]);
      await check(page, 'post-access-helper-empty', hp);
      await Promise.all([page.waitForNavigation(),
        page.click('a >> text=Bed om adgang til en persons post')]);
      await check(page, 'post-access-ask', hp);
      await page.fill('#ask-first', 'Mette');
      await page.fill('#ask-last', 'Jensen');
      await page.fill('#ask-cpr', '221177-1212');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/post/adgang/anmod"] button')]);
      assert(await page.locator('.alert-error >> text=Ingen postkasse passer').count() === 1,
        'wrong name refused');
      await check(page, 'post-access-ask-refused', hp);
      await page.fill('#ask-last', 'Hansen');
      await page.check('#ask-r');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/post/adgang/anmod"] button')]);
      assert(/\/post\/adgang\?ok=1$/.test(page.url()), `sent (${page.url()})`);
      assert(await page.locator('table >> text=Mette Hansen').count() === 1, 'my request listed');
      assert(await page.locator('text=Venter på svar').count() === 1, 'waiting');
      await check(page, 'post-access-asked', hp);
    }],
  ['the owner sees the request and approves it', async ({ owner: page, k, op }) => {
    await signIn(page, k, METTE);
    await page.goto(`${k.url}/post/adgang`);
    assert(await page.locator('table td >> text=Sofie Nielsen (150285-1236)').count() === 1,
      'request shown: ' + (await page.locator('main').innerText()).slice(0, 800));
    await check(page, 'post-access-owner-request', op);
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/godkend"] button')]);
    assert(await page.locator('text=Udført.').count() === 1, 'done');
    assert(await page.locator('form[action$="/ophaev"]').count() === 1, 'access listed');
    await check(page, 'post-access-owner-given', op);
  }],
  ['the helper switches mailbox and reads a letter from before the grant',
    async ({ helper: page, k, hp }) => {
      await page.goto(`${k.url}/post/`);
      await page.selectOption('#post-box', `CPR:${METTE}`);
      await Promise.all([page.waitForNavigation(), page.click('form.mailbox-switcher button')]);
      assert(await page.locator('text=Du læser en anden persons post med læseadgang.').count()
        === 1, 'helper notice');
      assert(await page.locator(`main table >> text=${TITLE}`).count() === 1, 'owner\'s letter');
      await check(page, 'post-access-helper-inbox', hp);
      await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
      letterPath = new URL(page.url()).pathname;
      assert(await page.locator('h1').innerText() === TITLE, 'letter open');
      await check(page, 'post-access-helper-letter', hp);
    }],
  ['with read access the helper cannot write, reply or delete permanently',
    async ({ helper: page, k }) => {
      assert(await page.locator('a >> text=Besvar').count() === 0, 'no reply button');
      await Promise.all([page.waitForNavigation(), page.click('form[action$="/flyt"] button')]);
      await page.goto(`${k.url}${letterPath}`);
      assert(await page.locator('form[action$="/slet-endeligt"]').count() === 0,
        'no permanent delete');
      const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
      for (const p of ['/slet-endeligt', '/svar']) {
        const r = await page.request.post(`${k.url}${letterPath}${p}`,
          { form: { csrf, text: 'x' }, maxRedirects: 0 });
        assert(r.status() === 403, `${p}: ${r.status()}`);
      }
      // move it back, so the owner finds it where it was
      await Promise.all([page.waitForNavigation(), page.click('form[action$="/flyt"] button')]);
    }],
  ['the owner\'s activity log names the helper', async ({ owner: page, k, op }) => {
    await page.goto(`${k.url}/post/aktivitet`);
    assert(await page.locator('td >> text=Sofie Nielsen (150285-1236)').count() >= 1,
      'helper named');
    assert(await page.locator('td >> text=åbnede et brev som hjælper').count() >= 1, 'opened');
    await check(page, 'post-access-activity', op);
  }],
  ['the owner revokes; the helper sees nothing', async ({ owner, helper, k, hp, op }) => {
    await owner.goto(`${k.url}/post/adgang`);
    await Promise.all([owner.waitForNavigation(), owner.click('form[action$="/ophaev"] button')]);
    assert(await owner.locator('text=Ingen har adgang til din post.').count() === 1, 'revoked');
    await check(owner, 'post-access-owner-revoked', op);
    await helper.goto(`${k.url}/post/`);
    assert(await helper.locator(`main >> text=${TITLE}`).count() === 0, 'letter gone');
    assert(await helper.locator(`#post-box option[value="CPR:${METTE}"]`).count() === 0,
      'Mette\'s mailbox no longer offered');
    await check(helper, 'post-access-helper-after', hp);
    const r = await helper.goto(`${k.url}${letterPath}`);
    assert(r.status() === 404, `letter by address: ${r.status()}`);
  }],
];

await run(cases, {
  async setup() {
    const k = await startKuvert(['--set', 'login_rate=1000']);
    const hb = await launch();
    const ob = await launch();
    const helper = await hb.newPage();
    const owner = await ob.newPage();
    return { k, hb, ob, helper, owner, hp: watch(helper), op: watch(owner) };
  },
  async teardown({ k, hb, ob }) {
    await hb.close();
    await ob.close();
    await k.stop();
  },
});
