// SPDX-License-Identifier: MIT
//
// post_write.test.mjs: writing to an authority and drafts at /post/skriv and /post/kladder in a
// real browser (Debian's chromium, headless, playwright-core) on a `kuvert demo` server with
// --test-login and a contact point "Byggesager" of Kommunen that takes at most 1 MB and two
// attachments. Every page visited is checked with axe-core and for CSP violations and
// screenshotted under build/screenshots/post-write-*.png. Covers: find the point by a search
// word and open the form with its limits; a too-large attachment is stopped in the browser by
// skriv.js before anything is sent, and -- with the script blocked, as a browser without
// JavaScript -- refused by the server with 413 naming the limit, the text kept (within the
// request bound) or the form shown again (refused from Content-Length, the body never read);
// nothing is stored either way; then the letter is written with a small attachment and is in
// "sent"; a draft is saved with an attachment, listed with its count, opened and sent (it
// leaves the drafts).
//
// Run: node tests/web/post_write.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { ROOT, assert, check, cli, launch, run, startKuvert, tabTo, watch } from './harness.mjs';

const JENS = '0101701234';
const pdf = (n) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(n, 0x41)]);

/** The first column of a query on the server's database (SQLite or the PostgreSQL pass). */
function db(k, sql, ...args) {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests', 'it', 'dbq.py'), k.data, sql,
    ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dbq: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter((x) => x !== '');
}

// Letters, events and drafts stored. Events about the demo's own letters (k.demoMax: the last
// of them) and the hub's own events (actor 'hub', most with no letter: an expiry notice, a
// stale device token) are left out: the server adds those in the background (a print job queued,
// a receipt, a notice) whenever it gets to them, which may be in the middle of a case.
const stored = (k) => db(k, 'SELECT (SELECT COUNT(*) FROM letters) || \'/\' || ' +
  '(SELECT COUNT(*) FROM events WHERE (message_uuid IS NULL OR message_uuid NOT IN ' +
  '(SELECT message_uuid FROM letters WHERE id <= CAST(? AS INTEGER))) AND ' +
  'COALESCE(actor, \'\') <> \'hub\') || \'/\' || ' +
  '(SELECT COUNT(*) FROM mailbox_drafts)', k.demoMax)[0];

async function fillLetter(page, label, text) {
  await page.fill('#write-label', label);
  await page.fill('#write-text', text);
}

/** The limit is named next to the "Vedhæftede filer" field too (DKFDS form error): the group
 * marked, the message shown, the input invalid and described by it, the summary linking it. */
async function fieldError(page) {
  const msg = await page.locator('.form-group.form-error #write-files-error').innerText();
  assert(/1 MB \(1000000 byte\)/.test(msg) && /for store/.test(msg), `field error: ${msg}`);
  assert(await page.getAttribute('#write-files', 'aria-invalid') === 'true', 'aria-invalid');
  assert((await page.getAttribute('#write-files', 'aria-describedby')).includes('write-files-error'),
    'described by the error');
  assert(await page.locator('#write-error a[href="#write-files"]').count() === 1, 'summary link');
}

const cases = [
  ['find the contact point and open the form with its limits', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/login?next=/post/`);
    await page.fill('#subject', JENS);
    await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
    await Promise.all([page.waitForNavigation(), page.click('main a >> text=Skriv et brev')]);
    await page.fill('#write-q', 'bygge');
    await Promise.all([page.waitForNavigation(), page.press('#write-q', 'Enter')]);
    assert(await page.locator('main table a >> text=Byggesager').count() === 1, 'found');
    await check(page, 'post-write-search', problems);
    await Promise.all([page.waitForNavigation(), page.click('main table a >> text=Byggesager')]);
    assert(page.url().endsWith(`/post/skriv/${k.point}`), `form (${page.url()})`);
    const limits = await page.locator('#write-limits').innerText();
    assert(/højst: 2/.test(limits) && /1 MB/.test(limits) && /\.pdf/.test(limits), limits);
    await check(page, 'post-write-form', problems);
  }],
  ['a too-large attachment is stopped in the browser', async ({ page, k, problems }) => {
    const before = stored(k);
    await fillLetter(page, 'For stor', 'Se tegningen.');
    await page.setInputFiles('#write-files', { name: 'tegning.pdf', mimeType: 'application/pdf',
      buffer: pdf(1_500_000) });
    await page.click('button[value="send"]');
    await page.waitForSelector('#write-check.alert-error');
    const msg = await page.locator('#write-check').innerText();
    assert(/1 MB/.test(msg) && /for store/.test(msg), msg);
    assert(page.url().endsWith(`/post/skriv/${k.point}`), 'not submitted');
    await check(page, 'post-write-too-large-js', problems);
    assert(stored(k) === before, 'nothing stored');
  }],
  ['without the script: refused by the server, text kept', async ({ page, k, problems }) => {
    await page.route('**/post/skriv.js', (r) => r.abort());
    await page.goto(`${k.url}/post/skriv/${k.point}`);
    const before = stored(k);
    await fillLetter(page, 'For stor', 'Min tekst bliver her.');
    await page.setInputFiles('#write-files', { name: 'tegning.pdf', mimeType: 'application/pdf',
      buffer: pdf(1_500_000) });
    const [resp] = await Promise.all([page.waitForNavigation(),
      page.click('button[value="send"]')]);
    assert(resp.status() === 413, `413 (${resp.status()})`);
    const alert = await page.locator('#write-error').innerText();
    assert(/1 MB \(1000000 byte\)/.test(alert), alert);
    await fieldError(page);
    assert(await page.inputValue('#write-text') === 'Min tekst bliver her.', 'text kept');
    assert(await page.inputValue('#write-label') === 'For stor', 'subject kept');
    await check(page, 'post-write-413', problems);
    assert(stored(k) === before, 'nothing stored');
  }],
  ['without the script: refused from Content-Length', async ({ page, k, problems }) => {
    const before = stored(k);
    await fillLetter(page, 'Alt for stor', 'Denne tekst når ikke frem.');
    await page.setInputFiles('#write-files', { name: 'kort.pdf', mimeType: 'application/pdf',
      buffer: pdf(5_000_000) });
    const [resp] = await Promise.all([page.waitForNavigation(),
      page.click('button[value="send"]')]);
    assert(resp.status() === 413, `413 (${resp.status()})`);
    const alert = await page.locator('#write-error').innerText();
    assert(/1 MB \(1000000 byte\)/.test(alert), alert);
    await fieldError(page);
    assert(await page.locator('#write-form').count() === 1, 'the form again');
    await check(page, 'post-write-413-gate', problems);
    assert(stored(k) === before, 'nothing stored');
    await page.unroute('**/post/skriv.js');
  }],
  ['write the letter with a small attachment', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/skriv/${k.point}`);
    await fillLetter(page, 'Ansøgning om carport', 'Jeg søger om at bygge en carport.');
    await page.setInputFiles('#write-files', { name: 'tegning.pdf', mimeType: 'application/pdf',
      buffer: pdf(20_000) });
    await Promise.all([page.waitForNavigation(), page.click('button[value="send"]')]);
    assert(/\/post\/brev\/[0-9a-f-]{36}$/.test(page.url()), `the sent letter (${page.url()})`);
    assert(await page.locator('h1').innerText() === 'Ansøgning om carport', 'title');
    await check(page, 'post-write-sent', problems);
    const uuid = page.url().split('/').pop();
    assert(db(k, 'SELECT COUNT(*) FROM recipient_queue q JOIN letters l ON l.id = q.letter_id ' +
      'WHERE l.message_uuid = ?', uuid)[0] === '1', 'routed to the recipient system');
    await page.goto(`${k.url}/post/?mappe=sent`);
    assert(await page.locator('main table >> text=Ansøgning om carport').count() === 1, 'in sent');
  }],
  ['keyboard only: find the point, write and send a letter with an attachment', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/`);
    await tabTo(page, 'main a[href="/post/skriv"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await tabTo(page, '#write-q');
    await page.keyboard.type('bygge');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await tabTo(page, `main table a[href="/post/skriv/${k.point}"]`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await tabTo(page, '#write-label');
    await page.keyboard.type('Tastaturbrev');
    await tabTo(page, '#write-text');
    await page.keyboard.type('Skrevet uden mus.');
    await tabTo(page, '#write-files');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'),
      page.keyboard.press('Space')]);
    await chooser.setFiles({ name: 'bilag.pdf', mimeType: 'application/pdf', buffer: pdf(2000) });
    await check(page, 'post-write-keyboard-form', problems);
    await tabTo(page, 'button[value="send"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(/\/post\/brev\/[0-9a-f-]{36}$/.test(page.url()), `the sent letter (${page.url()})`);
    assert(await page.locator('h1').innerText() === 'Tastaturbrev', 'title');
    assert(await page.locator('main .files .filename >> text=bilag.pdf').count() === 1,
      'with the attachment');
    const uuid = page.url().split('/').pop();
    assert(db(k, 'SELECT COUNT(*) FROM recipient_queue q JOIN letters l ON l.id = q.letter_id ' +
      'WHERE l.message_uuid = ?', uuid)[0] === '1', 'routed to the recipient system');
  }],
  ['save a draft, open it and send it', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/skriv/${k.point}`);
    await fillLetter(page, 'Klage over støj', 'Udkast.');
    await page.setInputFiles('#write-files', { name: 'maaling.pdf', mimeType: 'application/pdf',
      buffer: pdf(1000) });
    await Promise.all([page.waitForNavigation(), page.click('button[value="kladde"]')]);
    assert(/\/post\/kladder\?gemt=/.test(page.url()), `drafts (${page.url()})`);
    assert(/Kladder: 1/.test(await page.locator('main').innerText()), 'count');
    await check(page, 'post-write-drafts', problems);
    await page.goto(`${k.url}/post/`);
    assert(/Kladder \(1\)/.test(await page.locator('nav[aria-label="Mapper"]').innerText()),
      'count in the folder list');
    await Promise.all([page.waitForNavigation(),
      page.click('nav[aria-label="Mapper"] >> text=Kladder')]);
    await Promise.all([page.waitForNavigation(), page.click('main table a >> text=Klage over støj')]);
    assert(await page.inputValue('#write-text') === 'Udkast.', 'text');
    assert(await page.locator('input[name="behold"]:checked').count() === 1, 'attachment kept');
    await check(page, 'post-write-draft', problems);
    await page.fill('#write-text', 'Endelig klage.');
    await Promise.all([page.waitForNavigation(), page.click('button[value="send"]')]);
    assert(await page.locator('h1').innerText() === 'Klage over støj', 'sent');
    assert(await page.locator('main .files .filename >> text=maaling.pdf').count() === 1,
      'with the attachment');
    await page.goto(`${k.url}/post/kladder`);
    assert(/Kladder: 0/.test(await page.locator('main').innerText()), 'left the drafts');
    await check(page, 'post-write-drafts-empty', problems);
  }],
];

await run(cases, {
  async setup() {
    const k = await startKuvert(['--set', 'login_rate=1000']);
    k.demoMax = db(k, 'SELECT MAX(id) FROM letters')[0];
    const sys = JSON.parse(cli(k, ['system', 'add', '--org', '12345678', '--kind', 'recipient',
      '--name', 'Byggesystem', '--protocol', 'pull', '--json']));
    k.point = JSON.parse(cli(k, ['contact-point', 'add', '--org', '12345678', '--name',
      'Byggesager', '--system', sys.id, '--max-mb', '1', '--max-attachments', '2', '--json'])).id;
    const browser = await launch();
    const page = await browser.newPage();
    const problems = watch(page);
    return { k, browser, page, problems };
  },
  async teardown({ k, browser }) {
    await browser.close();
    await k.stop();
  },
});
