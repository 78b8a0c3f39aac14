// SPDX-License-Identifier: MIT
//
// post.test.mjs: the mailbox at /post/ in a real browser (Debian's chromium, headless,
// playwright-core) on a `kuvert demo` server with --test-login; every action is a plain link
// or form (the pages have no script of their own). Every page visited is checked with axe-core (no serious
// or critical violation) and for CSP violations, and screenshotted under
// build/screenshots/post-*.png. Covers: a demo citizen signs in and sees the inbox with its
// counts; opens the letter with an attachment (read, the attachment served as a download with
// its real type); marks it unread; replies (the reply is in "sent"); deletes the letter, finds
// it in "deleted", and deletes it permanently.
//
// Run: node tests/web/post.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { assert, check, runInBrowser } from './harness.mjs';

const JENS = '0101701234'; // demo citizen with "Afgørelse om boligstøtte" (reply, attachment)
const TITLE = 'Afgørelse om boligstøtte';

const cases = [
  ['sign in as a demo citizen and list the inbox', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/login?next=/post/`);
    await page.fill('#subject', JENS);
    await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
    const r = await page.goto(`${k.url}/post/`);
    assert(r.status() === 200, 'inbox 200');
    assert(await page.locator('h1').innerText() === 'Post', 'heading');
    assert(await page.locator(`main table >> text=${TITLE}`).count() === 1, 'letter listed');
    assert(await page.locator('main tr.unread').count() === 1, 'unread');
    assert(/Indbakke \(1, 1 ulæst\)/.test(await page.locator('nav[aria-label="Mapper"]').innerText()),
      'counts');
    await check(page, 'post-inbox', problems);
  }],
  ['open a letter with an attachment', async ({ page, k, problems }) => {
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    assert(/\/post\/brev\/[0-9a-f-]{36}$/.test(page.url()), `letter page (${page.url()})`);
    assert(await page.locator('h1').innerText() === TITLE, 'title');
    assert(await page.locator('.letter-text pre').count() === 1, 'text shown');
    assert(await page.locator('main .files .filename').count() === 2, 'main file and attachment');
    assert(await page.locator('main .files .filename').nth(1).innerText() === 'vejledning.txt',
      'attachment');
    await check(page, 'post-letter', problems);
    const href = await page.locator('main .files li:nth-child(2) a[download]').getAttribute('href');
    const res = await page.request.get(k.url + href);
    assert(res.status() === 200, 'download 200');
    assert(res.headers()['content-type'] === 'text/plain; charset=utf-8', 'real type');
    assert(res.headers()['x-content-type-options'] === 'nosniff', 'nosniff');
    assert(/^attachment; filename="vejledning.txt"; filename\*=UTF-8''vejledning.txt$/
      .test(res.headers()['content-disposition']), 'disposition');
    assert((await res.text()).startsWith('Vejledning'), 'content');
  }],
  ['mark unread', async ({ page, problems }) => {
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/ulaest"] button')]);
    assert(/\/post\/\?mappe=inbox$/.test(page.url()), 'back in the inbox');
    assert(await page.locator('main tr.unread').count() === 1, 'unread again');
    await check(page, 'post-inbox-unread', problems);
  }],
  ['reply', async ({ page, problems }) => {
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    await Promise.all([page.waitForNavigation(), page.click('a >> text=Besvar')]);
    await check(page, 'post-reply', problems);
    await page.fill('#reply-text', 'Tak. Jeg har et spørgsmål til afgørelsen.');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/svar"] button')]);
    assert(await page.locator('h1').innerText() === `Re: ${TITLE}`, 'the sent reply');
    assert(await page.locator('text=Besvar').count() === 0, 'no reply button on own letter');
    await check(page, 'post-reply-sent', problems);
    await page.click('a.back-link');
    await page.click('nav[aria-label="Mapper"] >> text=Sendt');
    assert(await page.locator(`main table >> text=Re: ${TITLE}`).count() === 1, 'in sent');
    await check(page, 'post-sent', problems);
  }],
  ['delete, then delete permanently', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/`);
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/flyt"] button')]);
    assert(await page.locator(`main table >> text=${TITLE}`).count() === 0, 'gone from inbox');
    await page.click('nav[aria-label="Mapper"] >> text=Slettet');
    assert(await page.locator(`main table >> text=${TITLE}`).count() === 1, 'in deleted');
    await check(page, 'post-deleted', problems);
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/slet-endeligt"] button')]);
    assert(await page.locator(`main table >> text=${TITLE}`).count() === 0, 'purged');
    await check(page, 'post-deleted-empty', problems);
  }],
];

await runInBrowser(cases);
