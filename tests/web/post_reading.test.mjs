// SPDX-License-Identifier: MIT
//
// post_reading.test.mjs: the reading side of /post/ in a real browser (Debian's chromium,
// headless, playwright-core) on a `kuvert demo` server with --test-login: a letter sent by a
// sender system through the real API with a PDF main document, an attachment, an appointment
// (AFTALE with Reservation) and a deadline; the citizen opens it (PDF and attachment listed and
// served with their real types), flags it and finds it with the flagged filter, downloads the
// appointment as .ics, forwards it to another citizen's Digital Post, creates a folder of her
// own and moves the letter into it, and searches by received date; opening the letter and
// downloading its attachment is also done with the keyboard only. Every page is checked with axe-core (no serious or critical violation) and
// for CSP violations, and screenshotted under build/screenshots/post-reading-*.png.
//
// Run: node tests/web/post_reading.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import { randomUUID } from 'node:crypto';

import { assert, check, cli, runInBrowser, tabTo } from './harness.mjs';

const METTE = '2211771212';
const TITLE = 'Indkaldelse til samtale';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
const b64 = (s) => Buffer.from(s).toString('base64');
const file = (name, mime, data) => `<memo:File><memo:encodingFormat>${mime}</memo:encodingFormat>` +
  `<memo:filename>${name}</memo:filename><memo:language>da</memo:language>` +
  `<memo:content>${b64(data)}</memo:content></memo:File>`;

function letter(uuid) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2"><memo:MessageHeader>' +
    `<memo:messageType>DIGITALPOST</memo:messageType><memo:messageUUID>${uuid}</memo:messageUUID>` +
    `<memo:label>${TITLE}</memo:label>` +
    '<memo:Sender><memo:senderID>11223344</memo:senderID><memo:idType>CVR</memo:idType>' +
    '<memo:label>Demostyrelsen</memo:label></memo:Sender>' +
    `<memo:Recipient><memo:recipientID>${METTE}</memo:recipientID><memo:idType>CPR</memo:idType>` +
    '</memo:Recipient></memo:MessageHeader><memo:MessageBody>' +
    '<memo:createdDateTime>2026-12-01T12:00:00Z</memo:createdDateTime>' +
    '<memo:MainDocument><memo:label>Indkaldelse</memo:label>' +
    file('indkaldelse.pdf', 'application/pdf', PDF) +
    '<memo:Action><memo:label>Samtale om din sag</memo:label><memo:actionCode>AFTALE</memo:actionCode>' +
    '<memo:Reservation><memo:description>Medbring legitimation, og kom i god tid.</memo:description>' +
    `<memo:reservationUUID>${randomUUID()}</memo:reservationUUID>` +
    '<memo:abstract>Samtale, jobcenter</memo:abstract>' +
    '<memo:location>Jobcentret, Rådhuspladsen 1, 1550 København V</memo:location>' +
    '<memo:startDateTime>2026-12-14T09:30:00Z</memo:startDateTime>' +
    '<memo:endDateTime>2026-12-14T10:00:00Z</memo:endDateTime></memo:Reservation></memo:Action>' +
    '<memo:Action><memo:label>Bekræft tiden</memo:label><memo:actionCode>BEKRAEFT</memo:actionCode>' +
    '<memo:endDateTime>2026-12-10T22:59:00Z</memo:endDateTime>' +
    '<memo:EntryPoint><memo:url>https://example.dk/bekraeft</memo:url></memo:EntryPoint></memo:Action>' +
    '</memo:MainDocument><memo:AdditionalDocument><memo:label>Bilag</memo:label>' +
    file('praktisk.txt', 'text/plain', 'Praktiske oplysninger om samtalen.') +
    '</memo:AdditionalDocument></memo:MessageBody></memo:Message>\n';
}

const cases = [
  ['sign in and open a letter with a PDF and an attachment', async ({ page, k, problems }) => {
    const sys = JSON.parse(cli(k, ['system', 'add', '--org', '11223344', '--kind', 'sender',
      '--name', 'Browsertest', '--json']));
    const uuid = randomUUID();
    const r = await fetch(`${k.url}/apis/v1/memos/?memo-message-uuid=${uuid}`, { method: 'POST',
      headers: { Authorization: `Basic ${sys.token}`, 'Content-Type': 'application/xml' },
      body: letter(uuid) });
    assert(r.status === 201, `letter sent (${r.status} ${await r.text()})`);
    k.uuid = uuid;
    await page.goto(`${k.url}/login?next=/post/`);
    await page.fill('#subject', METTE);
    await Promise.all([page.waitForNavigation(), page.press('#subject', 'Enter')]);
    await page.goto(`${k.url}/post/`);
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    assert(await page.locator('h1').innerText() === TITLE, 'letter page');
    const names = await page.locator('main .files .filename').allInnerTexts();
    assert(names.join(',') === 'indkaldelse.pdf,praktisk.txt', `files (${names})`);
    assert(await page.locator('main .files li:first-child a >> text=Vis').count() === 1,
      'the PDF can be shown');
    assert(await page.locator('main >> text=Frist: 2026-12-10 23:59').count() === 1, 'deadline');
    assert(await page.locator('main a[href="https://example.dk/bekraeft"]').count() === 1, 'link');
    await check(page, 'post-reading-letter', problems);
    for (const [n, type] of [[0, 'application/pdf'], [1, 'text/plain; charset=utf-8']]) {
      const href = await page.locator('main .files li a[download]').nth(n).getAttribute('href');
      const res = await page.request.get(k.url + href);
      assert(res.status() === 200 && res.headers()['content-type'] === type, `file ${n}: ${type}`);
      assert(res.headers()['content-disposition'].startsWith('attachment; filename='), 'download');
    }
    const pdf = await page.request.get(k.url +
      await page.locator('main .files li:first-child a >> text=Vis').getAttribute('href'));
    assert(pdf.headers()['content-disposition'].startsWith('inline;'), 'PDF shown inline');
    assert((await pdf.body()).equals(PDF), 'PDF bytes');
  }],
  ['keyboard only: open the letter from the list and download its attachment', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/`);
    await tabTo(page, `main table a[href="/post/brev/${k.uuid}"]`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(await page.locator('h1').innerText() === TITLE, 'opened with Enter');
    await check(page, 'post-reading-keyboard-letter', problems);
    await tabTo(page, `main .files a[download][href="/post/brev/${k.uuid}/fil/1"]`);
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.keyboard.press('Enter')]);
    assert(download.suggestedFilename() === 'praktisk.txt', `file (${download.suggestedFilename()})`);
    const text = (await import('node:fs')).readFileSync(await download.path(), 'utf8');
    assert(text === 'Praktiske oplysninger om samtalen.', `bytes (${text})`);
    // and back to the list with the keyboard: the letter is read now
    await tabTo(page, 'main a.back-link');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert(new URL(page.url()).pathname === '/post/', `the list (${page.url()})`);
    await page.goto(`${k.url}/post/brev/${k.uuid}`);
  }],
  ['forward it to another citizen\'s Digital Post', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/brev/${k.uuid}/videresend`);
    await check(page, 'post-reading-forward', problems);
    // a malformed number: refused with the message next to the field, what was typed kept
    await page.fill('#fwd-person', '12345');
    await Promise.all([page.waitForNavigation(),
      page.click('form:has(input[name="til"][value="person"]) button[type="submit"]')]);
    const err = page.locator('#fwd-person-error');
    assert(await err.count() === 1 && /CPR-nummer/.test(await err.innerText()),
      'the error next to the CPR/CVR field');
    assert((await page.getAttribute('#fwd-person', 'aria-describedby')).split(' ')
      .includes('fwd-person-error'), 'the field is described by its error');
    assert(await page.inputValue('#fwd-person') === '12345', 'what was typed is kept');
    await check(page, 'post-reading-forward-error', problems);
    await page.fill('#fwd-person', '010170-1234');
    await page.fill('#fwd-comment-p', 'Til orientering.');
    await Promise.all([page.waitForNavigation(),
      page.click('form:has(input[name="til"][value="person"]) button[type="submit"]')]);
    assert(/\/post\/brev\/[0-9a-f-]{36}$/.test(page.url()) && !page.url().endsWith(k.uuid),
      `the forwarded letter (${page.url()})`);
    assert(await page.locator('h1').innerText() === `Videresendt: ${TITLE}`, 'its title');
    const names = await page.locator('main .files .filename').allInnerTexts();
    assert(names.includes('indkaldelse.pdf') && names.includes('praktisk.txt'),
      `the original's files (${names})`);
    await check(page, 'post-reading-forwarded', problems);
    await page.goto(`${k.url}/post/brev/${k.uuid}`);
  }],
  ['flag it and find it with the flagged filter', async ({ page, k, problems }) => {
    await Promise.all([page.waitForNavigation(),
      page.click('form[action$="/marker"] button >> text=Markér til opfølgning')]);
    assert(await page.locator('main >> text=Markeret til opfølgning').count() === 1, 'flagged');
    await check(page, 'post-reading-flagged-letter', problems);
    await page.goto(`${k.url}/post/`);
    await page.check('#post-markeret');
    await Promise.all([page.waitForNavigation(), page.click('form[role="search"] button')]);
    assert(/markeret=1/.test(page.url()), 'filter in the URL');
    const rows = page.locator('main table tbody tr');
    assert(await rows.count() === 1, 'only the flagged letter');
    assert(/Markeret/.test(await rows.first().innerText()), 'flag shown in the list');
    await check(page, 'post-reading-flagged-list', problems);
  }],
  ['download the appointment as .ics', async ({ page, k }) => {
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    const link = page.locator('main a >> text=Føj til kalender (.ics)');
    assert(await link.count() === 1, 'calendar link');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert(download.suggestedFilename() === 'aftale.ics', `file name ${download.suggestedFilename()}`);
    const text = (await import('node:fs')).readFileSync(await download.path(), 'utf8');
    assert(text.startsWith('BEGIN:VCALENDAR\r\n') && /\r\nEND:VCALENDAR\r\n$/.test(text), 'calendar');
    assert(/\r\nDTSTART:20261214T093000Z\r\n/.test(text), 'start in UTC');
    assert(/\r\nSUMMARY:Samtale\\, jobcenter\r\n/.test(text), 'escaped summary');
    assert(text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'folded at 75 octets');
    const res = await page.request.get(k.url + await link.getAttribute('href'));
    assert(res.headers()['content-type'] === 'text/calendar; charset=utf-8', 'text/calendar');
  }],
  ['create a folder and move the letter into it', async ({ page, k, problems }) => {
    await page.goto(`${k.url}/post/`);
    await Promise.all([page.waitForNavigation(), page.click('main a >> text=Administrér dine mapper')]);
    await check(page, 'post-reading-folders-empty', problems);
    await page.fill('#folder-new', 'Jobcenter');
    await Promise.all([page.waitForNavigation(), page.click('main button >> text=Opret mappe')]);
    const made = await page.locator('main .folder-tree h3 a').allInnerTexts();
    assert(made.join() === 'Jobcenter', `created (${made}; ${page.url()}; ${
      (await page.locator('main').innerText()).slice(0, 400)})`);
    await page.fill('#folder-new', 'Samtaler');
    await page.selectOption('#folder-new-under', { label: 'Jobcenter' });
    await Promise.all([page.waitForNavigation(), page.click('main button >> text=Opret mappe')]);
    await check(page, 'post-reading-folders', problems);
    await page.goto(`${k.url}/post/`);
    await Promise.all([page.waitForNavigation(), page.click(`main table a >> text=${TITLE}`)]);
    await page.selectOption('#move-to', { label: '— Samtaler' });
    await Promise.all([page.waitForNavigation(), page.click('main button >> text=Flyt')]);
    assert(await page.locator(`main table >> text=${TITLE}`).count() === 0, 'gone from inbox');
    const nav = page.locator('nav[aria-label="Mapper"]');
    assert(/Samtaler \(1, 0 ulæst\)|Samtaler \(1\)/.test(await nav.innerText()), 'counted there');
    await Promise.all([page.waitForNavigation(), nav.locator('a >> text=Samtaler').click()]);
    assert(await page.locator('h2').first().innerText() === 'Samtaler', 'the folder page');
    assert(await page.locator(`main table >> text=${TITLE}`).count() === 1, 'letter in folder');
    await check(page, 'post-reading-own-folder', problems);
  }],
  ['search by received date', async ({ page, k, problems }) => {
    // a day either side of now: Copenhagen's day may differ from UTC's
    // (computed once: UTC's midnight may pass between filling the form and checking the URL)
    const day = (d) => new Date(Date.now() + d * 86400000).toISOString().slice(0, 10);
    const [from, to] = [day(-1), day(1)];
    await page.goto(`${k.url}/post/?mappe=inbox`);
    await page.fill('#post-fra', from);
    await page.fill('#post-til', to);
    await Promise.all([page.waitForNavigation(), page.click('form[role="search"] button')]);
    assert(page.url().includes(`fra=${from}`), 'date in the URL');
    assert(await page.locator('main table tbody tr').count() >= 1, 'the recent letters');
    await check(page, 'post-reading-date-search', problems);
    await page.goto(`${k.url}/post/?mappe=inbox&til=2000-01-01`);
    assert(await page.locator('main >> text=Ingen breve passer til søgningen.').count() === 1,
      'nothing that old');
  }],
];

await runInBrowser(cases);
