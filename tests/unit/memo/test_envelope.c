/* SPDX-License-Identifier: MIT
 *
 * test_envelope.c: kv_memo_read with KV_MEMO_READ_ENVELOPE (model.h) gives every field the
 * send path reads exactly as the full header read gives it, and nothing else. Compared on the
 * example letters, the reader's fuzz corpus and 1,500 deterministic mutations of the Full
 * example (each read from the tree whatever its verdict, as kv_letter_prepare reads it), plus
 * letters with repeated Sender, Recipient, ContactPoint, reply and ReplyData elements. Runs
 * from the repository root (or $KUVERT_ROOT).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/test_data.h"

#include "memo/memo.h"
#include "memo/model.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define ITK "tests/data/examples/itk-dev-rpa_python-serviceplatformen__MeMo_"

static void put(struct kv_buf *b, const char *name, const char *v)
{
    assert_int_equal(kv_buf_printf(b, "%s=%s%s\n", name, v ? "[" : "NULL", v ? v : ""), 0);
    if (v)
        assert_int_equal(kv_buf_puts(b, "]\n"), 0);
}

/* The envelope fields of msg as one text. */
static char *envelope(const struct kv_memo_message *msg)
{
    const struct kv_memo_header *h = &msg->header;
    const struct kv_memo_sender *s = &h->sender;
    const struct kv_memo_recipient *r = &h->recipient;
    struct kv_buf b;

    kv_buf_init(&b, (size_t)1 << 24);
    put(&b, "memoVersion", msg->memo_version);
    put(&b, "messageType", h->message_type);
    put(&b, "messageUUID", h->message_uuid);
    put(&b, "messageID", h->message_id);
    put(&b, "label", h->label);
    put(&b, "notification", h->notification);
    put(&b, "additionalNotification", h->additional_notification);
    put(&b, "doNotDeliverUntilDate", h->do_not_deliver_until);
    assert_int_equal(kv_buf_printf(&b, "reply=%d legal=%d replyData=%zu contentData=%d\n",
                                   (int)h->reply, (int)h->legal_notification, h->n_reply_data,
                                   h->content_data != NULL),
                     0);
    put(&b, "senderID", s->id);
    put(&b, "sender idType", s->id_type);
    put(&b, "sender label", s->label);
    assert_int_equal(kv_buf_printf(&b, "sender attention=%d contentResponsible=%d repr=%d\n",
                                   s->attention != NULL,
                                   s->attention && s->attention->content_responsible,
                                   s->representative != NULL),
                     0);
    if (s->representative) {
        put(&b, "representativeID", s->representative->id);
        put(&b, "representative idType", s->representative->id_type);
    }
    put(&b, "recipientID", r->id);
    put(&b, "recipient idType", r->id_type);
    put(&b, "recipient label", r->label);
    assert_int_equal(kv_buf_printf(&b, "recipient attention=%d contactPoint=%d\n",
                                   r->attention != NULL, r->contact_point != NULL),
                     0);
    if (r->contact_point)
        put(&b, "contactPointID", r->contact_point->contact_point_id);
    return kv_buf_detach(&b, NULL);
}

static size_t read_ok;

/* Reads buf both ways (when it parses) and requires the same envelope; the envelope read
 * must leave the fields outside it empty. */
static void same_envelope(const char *buf, size_t len, const char *what)
{
    struct kv_memo_diags d;
    struct kv_memo_doc *doc = NULL;
    struct kv_memo_message *full = NULL, *env = NULL;
    struct kv_err err = {0};

    kv_memo_diags_init(&d);
    assert_int_equal(kv_memo_check(buf, len, KV_MEMO_LEVEL_NGDP, NULL, &d, &doc, &err), 0);
    if (doc && kv_memo_read(doc, KV_MEMO_READ_NO_CONTENT | KV_MEMO_READ_HEADER_ONLY, &full,
                            NULL) == 0) {
        char *a, *b;

        assert_int_equal(kv_memo_read(doc, KV_MEMO_READ_HEADER_ONLY | KV_MEMO_READ_ENVELOPE,
                                      &env, NULL),
                         0);
        a = envelope(full);
        b = envelope(env);
        if (strcmp(a, b) != 0)
            fail_msg("%s: the envelope read gives\n%s\nbut the full read\n%s", what, b, a);
        free(a);
        free(b);
        assert_null(env->header.message_code);
        assert_null(env->header.reply_by);
        assert_null(env->header.post_type);
        assert_null(env->header.forward_data);
        assert_null(env->header.sender.id_type_label);
        assert_null(env->header.sender.contact_point);
        assert_null(env->header.recipient.id_type_label);
        assert_null(env->body);
        if (env->header.content_data)
            assert_null(env->header.content_data->cpr_data);
        if (env->header.recipient.attention)
            assert_null(env->header.recipient.attention->person);
        read_ok++;
    }
    kv_memo_message_free(full);
    kv_memo_message_free(env);
    kv_memo_doc_free(doc);
    kv_memo_diags_release(&d);
}

static void test_examples_and_corpus(void **state)
{
    const char *dirs[] = {"tests/data/examples", "tests/fuzz/corpus/memo_reader"};
    const char *root = getenv("KUVERT_ROOT");
    size_t k;

    (void)state;
    read_ok = 0;
    for (k = 0; k < 2; k++) {
        char path[1024];
        struct dirent *e;
        DIR *dir;

        snprintf(path, sizeof(path), "%s%s%s", root ? root : "", root ? "/" : "", dirs[k]);
        dir = opendir(path);
        assert_non_null(dir);
        while ((e = readdir(dir)) != NULL) {
            char rel[256];
            size_t len;
            char *buf;

            if (e->d_name[0] == '.' || strlen(e->d_name) > 200)
                continue;
            snprintf(rel, sizeof(rel), "%s/%.200s", dirs[k], e->d_name);
            buf = kv_test_read_data(rel, &len);
            same_envelope(buf, len, rel);
            free(buf);
        }
        closedir(dir);
    }
    assert_true(read_ok >= 12);
}

static void test_mutations(void **state)
{
    size_t len, i;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &len);
    char *m = kv_xmalloc(len + 2);
    uint64_t rng = 0x2545f4914f6cdd1dull;
    char what[64];

    (void)state;
    read_ok = 0;
    for (i = 0; i < 1500; i++) {
        size_t at, n = len;
        unsigned kind;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        at = (size_t)(rng >> 11) % len;
        kind = (unsigned)(rng & 3);
        memcpy(m, full, len);
        if (kind == 0) {
            memmove(m + at, m + at + 1, len - at - 1);
            n = len - 1;
        } else if (kind == 1) {
            m[at] = "<>&x\"'/ 9=\xc3"[(rng >> 40) % 12];
        } else if (kind == 2) {
            memmove(m + at + 1, m + at, len - at);
            m[at] = "<>&x\"'/ 9=\xc3"[(rng >> 40) % 12];
            n = len + 1;
        } else {
            n = at;
        }
        m[n] = '\0';
        snprintf(what, sizeof(what), "mutation %zu (kind %u at %zu)", i, kind, at);
        same_envelope(m, n, what);
    }
    assert_true(read_ok > 250); /* a fifth of the mutations still parse (and are read) */
    free(m);
    free(full);
}

/* Repeated elements: a second Sender merges into the first (inline), a second ContactPoint,
 * Representative or reply after the first is ignored, every ReplyData counts. */
static void test_repeated_elements(void **state)
{
    size_t len;
    char *full = kv_test_read_data(ITK "Full_Example__memo-1.2.xml", &len);
    const char *hdr_end = strstr(full, "</memo:MessageHeader>");
    const char *extra =
        "<memo:Sender><memo:senderID>99999999</memo:senderID><memo:idType>CPR</memo:idType>"
        "<memo:label>second</memo:label><memo:Representative><memo:representativeID>1"
        "</memo:representativeID><memo:idType>CPR</memo:idType></memo:Representative>"
        "</memo:Sender>"
        "<memo:Recipient><memo:ContactPoint><memo:contactPointID>x</memo:contactPointID>"
        "</memo:ContactPoint><memo:label>l2</memo:label></memo:Recipient>"
        "<memo:reply>yes</memo:reply><memo:reply>true</memo:reply><memo:reply>false</memo:reply>"
        "<memo:ReplyData><memo:messageUUID>a</memo:messageUUID></memo:ReplyData>"
        "<memo:legalNotification> 1 </memo:legalNotification>"
        "<memo:label>second <![CDATA[label]]></memo:label>";
    struct kv_buf b;

    (void)state;
    assert_non_null(hdr_end);
    kv_buf_init(&b, (size_t)1 << 24);
    assert_int_equal(kv_buf_append(&b, full, (size_t)(hdr_end - full)), 0);
    assert_int_equal(kv_buf_puts(&b, extra), 0);
    assert_int_equal(kv_buf_puts(&b, hdr_end), 0);
    read_ok = 0;
    same_envelope(b.buf, b.len, "repeated elements");
    assert_int_equal(read_ok, 1);
    kv_buf_release(&b);
    free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_and_corpus),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_repeated_elements),
    };
    struct kv_err err = {0};

    if (kv_memo_global_init(&err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
