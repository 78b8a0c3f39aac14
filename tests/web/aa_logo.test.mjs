// SPDX-License-Identifier: MIT
//
// aa_logo.test.mjs: Administrativ Adgang's logo page in a real browser (Debian's chromium,
// headless, playwright-core) on a `kuvert demo` server with --test-login. Every page visited is
// checked with axe-core (no serious or critical violation) and for CSP violations, and
// screenshotted under build/screenshots/aa-logo-*.png. Covers: the empty logo page; a refused
// upload with its reason next to the file field; an accepted upload with its preview; the logo
// beside the sender's name in a citizen's mailbox (list and letter); deleting it.
//
// Run: node tests/web/aa_logo.test.mjs (env KUVERT = the binary). Prints "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { assert, check, launch, run, signIn, signOut, startKuvert, tempDir, watch }
  from './harness.mjs';

const SOEREN = 'soeren.system@kommunen.dk'; // ORGANISATION_ADMINISTRATOR of Kommunen (demo)
const METTE = '2211771212'; // has a letter from Kommunen
const BASE = '/administrativ-adgang/logo';

function crc32(buf) {
  let c;
  let crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + 3 * w);
    for (let x = 0; x < w; x++) row.set(x < w / 3 ? [0, 90, 160] : [200, 16, 46], 1 + 3 * x);
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

let dir;

const cases = [
  ['a refused file says why next to the field', async ({ page, k, problems }) => {
    await signIn(page, k.url, SOEREN);
    await page.goto(`${k.url}/administrativ-adgang/`);
    await Promise.all([page.waitForNavigation(), page.click(`main a[href="${BASE}"]`)]);
    assert(await page.locator('h1').innerText() === 'Logo', 'heading');
    await check(page, 'aa-logo-empty', problems);
    const fake = path.join(dir, 'logo.png');
    fs.writeFileSync(fake, 'GIF89a this is not a png');
    await page.setInputFiles('#logo-file', fake);
    await Promise.all([page.waitForNavigation(), page.click('main form[enctype] button[type="submit"]')]);
    const err = await page.locator('#logo-file-error').innerText();
    assert(err.includes('ikke et PNG-billede'), `reason by the field (${err})`);
    await check(page, 'aa-logo-refused', problems);
  }],
  ['an accepted upload is previewed and shown in the mailbox', async ({ page, k, problems }) => {
    const good = path.join(dir, 'kommune.png');
    fs.writeFileSync(good, png(150, 50));
    await page.setInputFiles('#logo-file', good);
    await Promise.all([page.waitForNavigation(), page.click('main form[enctype] button[type="submit"]')]);
    assert(await page.locator('.alert-success').count() === 1, 'saved');
    const img = page.locator('main figure img');
    assert(await img.count() === 1, 'preview');
    assert(await img.evaluate((e) => e.complete && e.naturalWidth === 150), 'preview loads');
    await check(page, 'aa-logo-preview', problems);
    await signOut(page);
    await signIn(page, k.url, METTE);
    await page.goto(`${k.url}/post/`);
    const logo = page.locator('main img.sender-logo').first();
    assert(await logo.count() === 1, 'logo beside the sender in the list');
    assert(await logo.evaluate((e) => e.complete && e.naturalWidth === 150), 'list logo loads');
    await check(page, 'aa-logo-post-list', problems);
    await Promise.all([page.waitForNavigation(), page.click('main table a >> text=Velkommen til Digital Post')]);
    assert(await page.locator('main dd img.sender-logo').count() === 1, 'logo beside the sender');
    await check(page, 'aa-logo-post-letter', problems);
    await signOut(page);
  }],
  ['delete the logo', async ({ page, k, problems }) => {
    await signIn(page, k.url, SOEREN);
    await page.goto(`${k.url}${BASE}`);
    await Promise.all([page.waitForNavigation(), page.click(`form[action="${BASE}/slet"] button`)]);
    assert(await page.locator('.alert-success').count() === 1, 'deleted');
    assert(await page.locator('main figure img').count() === 0, 'no preview');
    const r = await fetch(`${k.url}/logo/12345678`);
    assert(r.status === 404, `logo gone (${r.status})`);
    await check(page, 'aa-logo-deleted', problems);
  }],
];

await run(cases, {
  async setup() {
    dir = tempDir('kuvert-logo-');
    const k = await startKuvert(['--set', 'login_rate=1000']);
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
