/* SPDX-License-Identifier: MIT
 *
 * fuzz_base64.c: libFuzzer target for kuvert's one base64 validator (util/base64.h). For any
 * input: kv_b64_valid agrees with a plain one-byte-at-a-time RFC 4648 reference (verdict and
 * decoded size); the streaming scanner fed the same bytes in two pieces (split at a point
 * taken from the input) agrees with it fed whole; a valid input decodes to exactly the size
 * announced and re-encodes to the same text. A disagreement aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ref_valid(const uint8_t *s, size_t len, size_t *out)
{
    size_t i, pad = 0;

    if (len % 4)
        return 0;
    for (i = 0; i < len; i++) {
        uint8_t c = s[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '+' || c == '/';

        if (c == '=') {
            if (i + 2 < len)
                return 0;
            pad++;
        } else if (!alpha || pad) {
            return 0;
        }
    }
    *out = len / 4 * 3 - pad;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kv_b64_scan whole, split;
    uint64_t s1, s2;
    size_t want_size = 0, got_size = 0, cut, dec_len, enc_len;
    unsigned char *dec;
    char *enc;
    int want, got, r1, r2;

    if (size > 1 << 16)
        return 0;
    want = ref_valid(data, size, &want_size);
    got = kv_b64_valid((const char *)data, size, &got_size);
    if (want != got || (want && want_size != got_size))
        abort();
    cut = size ? data[0] % (size + 1) : 0;
    kv_b64_scan_init(&whole, KV_B64_XML_SPACE);
    kv_b64_scan_feed(&whole, data, size);
    r1 = kv_b64_scan_end(&whole, &s1);
    kv_b64_scan_init(&split, KV_B64_XML_SPACE);
    kv_b64_scan_feed(&split, data, cut);
    kv_b64_scan_feed(&split, data + cut, size - cut);
    r2 = kv_b64_scan_end(&split, &s2);
    if (r1 != r2 || s1 != s2 || (r1 < 0 && whole.bad_at != split.bad_at))
        abort();
    if (want && r1 != 0) /* whitespace allowed is a superset */
        abort();
    if (want) {
        if (kv_b64_decode((const char *)data, size, size, &dec, &dec_len) != 0 ||
            dec_len != want_size)
            abort();
        if (kv_b64_encode(dec, dec_len, size + 4, &enc, &enc_len) != 0)
            abort();
        /* canonical text only: the bits below the last character may differ */
        if (enc_len != size)
            abort();
        free(enc);
        free(dec);
    }
    return 0;
}
