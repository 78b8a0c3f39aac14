/* SPDX-License-Identifier: MIT
 *
 * test_receipt_text.c: kv_letter_receipt_text (the send answer's Receipt, written as text) is
 * byte for byte what jansson makes of kv_letter_receipt_json for the same letter: a received
 * letter, one without a messageID, one with an error code and message, text that needs
 * escaping and non-ASCII text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "hub/letters.h"
#include "util/buf.h"
#include "util/str.h"

static void same_receipt(const struct kv_letter *l)
{
    struct kv_buf b;
    json_t *obj = kv_letter_receipt_json(l);
    char *want;

    assert_non_null(obj);
    want = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    assert_non_null(want);
    kv_buf_init(&b, 1 << 16);
    assert_int_equal(kv_letter_receipt_text(l, &b), 0);
    assert_string_equal(b.buf, want);
    kv_buf_release(&b);
    free(want);
}

static void test_receipts_match_jansson(void **state)
{
    struct kv_letter l;
    char mid[] = "0f7c8a52-1d3e-4a5b-9c6d-7e8f9a0b1c2d";
    char odd[] = "id \"with\" \\ and \t \x01 Bl\xc3\xa5" "b\xc3\xa6r \xe2\x82\xac";

    (void)state;
    kv_letter_init(&l, "<x/>", 4);
    (void)kv_str_copy(l.transmission_id, sizeof(l.transmission_id),
                      "5d3c2b1a-0f9e-4d8c-b7a6-95f4e3d2c1b0");
    (void)kv_str_copy(l.uuid, sizeof(l.uuid), "8c2ea15d-61fb-4ba9-9366-42f8b194c114");
    (void)kv_str_copy(l.receipt_status, sizeof(l.receipt_status), "RECEIVED");
    l.time_ms = 1764921600123;
    same_receipt(&l); /* no messageID, no error */
    l.message_id = mid;
    same_receipt(&l);
    (void)kv_str_copy(l.receipt_status, sizeof(l.receipt_status), "NOT_ALLOWED");
    (void)kv_str_copy(l.error_code, sizeof(l.error_code), "RECIPIENT_NOT_FOUND");
    (void)kv_str_copy(l.error_message, sizeof(l.error_message),
                      "modtageren \"findes\" ikke \xe2\x80\x93 pr\xc3\xb8v igen\n");
    same_receipt(&l);
    l.message_id = odd;
    l.uuid[0] = '\0'; /* not parseable: "" */
    l.time_ms = 0;
    same_receipt(&l);
    l.message_id = NULL; /* nothing of l is owned: no kv_letter_release */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipts_match_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
