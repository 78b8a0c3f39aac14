// SPDX-License-Identifier: MIT
//
// gateway_sink.mjs: what the browser tests that meet the SMS gateway share (notify.test.mjs,
// aa_citizen.test.mjs): a local HTTP sink in the test's process that plays the SMS/push gateway
// of `kuvert serve --sms-gateway URL` (docs/notifications.md "Gateway requests"): it records
// every JSON body POSTed to it and answers 202; a bounded wait; the last PIN sent to a number.
import http from 'node:http';

/** A local SMS gateway: records every JSON body POSTed to it. */
export function startSink() {
  const messages = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { if (body.length < 65536) body += c; });
    req.on('end', () => {
      try { messages.push(JSON.parse(body)); } catch { messages.push({ invalid: body }); }
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/sms`, messages,
    close: () => new Promise((r) => server.close(r)),
  })));
}

/** fn() until it is truthy (its value), at most ms milliseconds. */
export async function waitFor(fn, what, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The 6-digit code of the last SMS to `to` (of kind `kind` when given), or null. */
export function pinOf(sms, to, kind) {
  const m = [...sms.messages].reverse().find((x) => x.to === to && (!kind || x.kind === kind));
  const d = m && /(\d{6})/.exec(m.text);
  return d && d[1];
}
