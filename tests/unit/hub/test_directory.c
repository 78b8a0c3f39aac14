/* SPDX-License-Identifier: MIT
 *
 * test_directory.c: the directory: CPR/CVR validation, organisations, systems and API-token
 * authentication (good, bad scheme, malformed, wrong secret, unknown id, deactivated), user
 * bearer tokens, the mailbox lifecycle, and that every admin write logged its event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/hub/store_fixture.h"

#include "hub/directory.h"
#include "hub/events.h"
#include "store/store.h"
#include "util/base64.h"
#include "util/crypto.h"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/kv-test-dir-XXXXXX");
    if (kv_test_store_new(f->dir, &f->st, &f->db, NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (kv_test_store_free(f->dir, f->st, f->db) != 0)
        return -1;
    free(f);
    return 0;
}

static void test_numbers(void **state)
{
    (void)state;
    assert_true(kv_cpr_valid("2211771212"));
    assert_true(kv_cpr_valid("0101701234"));
    assert_true(kv_cpr_valid("2902004000")); /* 29 Feb 2000: digit 4, YY 00 -> 2000, leap */
    assert_false(kv_cpr_valid("2902001000")); /* 29 Feb 1900: not a leap year */
    assert_true(kv_cpr_valid("2902961234"));
    assert_false(kv_cpr_valid("3002901234"));
    assert_false(kv_cpr_valid("3104901234"));
    assert_false(kv_cpr_valid("0013901234"));
    assert_false(kv_cpr_valid("0000001234"));
    assert_false(kv_cpr_valid("221177121"));
    assert_false(kv_cpr_valid("22117712123"));
    assert_false(kv_cpr_valid("221177-1212"));
    assert_false(kv_cpr_valid("22117712a2"));
    assert_false(kv_cpr_valid(""));
    assert_false(kv_cpr_valid(NULL));
    assert_true(kv_cvr_valid("12345678"));
    assert_false(kv_cvr_valid("1234567"));
    assert_false(kv_cvr_valid("123456789"));
    assert_false(kv_cvr_valid("1234567x"));
}

static void sender(struct kv_system *s, const char *cvr)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->org_cvr, sizeof(s->org_cvr), "%s", cvr);
    snprintf(s->kind, sizeof(s->kind), "sender");
    snprintf(s->name, sizeof(s->name), "Sagssystem");
}

static void test_orgs(void **state)
{
    struct fx *f = *state;
    struct kv_org org;
    struct kv_err err = {0, ""};

    assert_int_equal(kv_org_add(f->db, "12345678", "Kommunen", &err), 0);
    assert_int_equal(kv_org_add(f->db, "12345678", "Again", &err), KV_ECONFLICT);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(kv_org_add(f->db, "1234", "Short", &err), KV_EINVAL);
    assert_int_equal(kv_org_add(f->db, "87654321", "", &err), KV_EINVAL);
    assert_int_equal(kv_org_get(f->db, "12345678", &org, &err), 0);
    assert_string_equal(org.name, "Kommunen");
    assert_int_equal(kv_org_get(f->db, "87654321", &org, &err), KV_ENOTFOUND);
}

/* Organisations and mailboxes carry the stable UUIDs NgDP clients address them by. */
static void test_ngdp_ids(void **state)
{
    struct fx *f = *state;
    struct kv_org org, again;
    struct kv_mailbox mb, found;
    struct kv_err err = {0, ""};
    char upper[37];
    size_t i;

    assert_int_equal(kv_org_add(f->db, "12345678", "Kommunen", &err), 0);
    assert_int_equal(kv_org_get(f->db, "12345678", &org, &err), 0);
    assert_int_equal(strlen(org.id), 36);
    assert_true(org.created_ms > 0);
    for (i = 0; i < 37; i++)
        upper[i] = (char)(org.id[i] >= 'a' && org.id[i] <= 'f' ? org.id[i] - 32 : org.id[i]);
    assert_int_equal(kv_org_resolve(f->db, upper, &again, &err), 0);
    assert_string_equal(again.cvr, "12345678");
    assert_int_equal(kv_org_resolve(f->db, "12345678", &again, &err), 0);
    assert_string_equal(again.id, org.id);
    assert_int_equal(kv_org_resolve(f->db, "00000000-0000-4000-8000-000000000000", &again, &err),
                     KV_ENOTFOUND);
    assert_int_equal(kv_org_resolve(f->db, "x'; --", &again, &err), KV_ENOTFOUND);
    assert_int_equal(kv_org_resolve(f->db, NULL, &again, &err), KV_ENOTFOUND);

    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "0101701234");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), 0);
    assert_int_equal(kv_mailbox_find(f->db, "CPR", "0101701234", &found, &err), 0);
    assert_string_equal(found.uuid, mb.uuid);
    assert_string_equal(found.subscription_uuid, mb.subscription_uuid);
    assert_string_not_equal(found.uuid, found.subscription_uuid);
    assert_int_equal(found.version, 1);
    assert_int_equal(kv_mailbox_close(f->db, "CPR", "0101701234", &err), 0);
    assert_int_equal(kv_mailbox_find_by_uuid(f->db, mb.uuid, &found, &err), 0);
    assert_int_equal(found.version, 2);
    assert_string_equal(found.status, "CLOSED");
    assert_string_not_equal(found.transaction_id, mb.transaction_id);
    assert_true(found.updated_ms >= found.created_ms);
    assert_int_equal(kv_mailbox_find_by_uuid(f->db, org.id, &found, &err), KV_ENOTFOUND);
}

/* The events API view names another organisation's systems by name, also when one page names
 * more systems than the lookup cache holds (20 here): each event keeps its own names. */
static void test_event_search_names_other_systems(void **state)
{
    struct fx *f = *state;
    struct kv_system own, other[20];
    struct kv_event_search q;
    struct kv_err err = {0, ""};
    json_t *events = NULL, *e;
    char *token, props[128], name[32];
    int64_t total = 0;
    size_t i;

    assert_int_equal(kv_org_add(f->db, "12345678", "Kommunen", &err), 0);
    assert_int_equal(kv_org_add(f->db, "87654321", "Styrelsen", &err), 0);
    sender(&own, "12345678");
    assert_int_equal(kv_system_add(f->db, &own, &token, &err), 0);
    free(token);
    for (i = 0; i < 20; i++) {
        sender(&other[i], "87654321");
        snprintf(other[i].name, sizeof(other[i].name), "Fremmed %zu", i);
        assert_int_equal(kv_system_add(f->db, &other[i], &token, &err), 0);
        free(token);
    }
    assert_int_equal(kv_db_begin(f->db, &err), 0);
    for (i = 0; i < 20; i++) {
        struct kv_event ev = {0};
        snprintf(props, sizeof(props), "{\"recipientSystemId\":\"%s\",\"n\":%zu}",
                 other[(i + 7) % 20].id, i);
        ev.tag = "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM";
        ev.system_id = own.id;
        ev.actor = other[i].id;
        ev.props_json = props;
        assert_int_equal(kv_events_append(f->db, &ev, &err), 0);
    }
    assert_int_equal(kv_db_commit(f->db, &err), 0);

    memset(&q, 0, sizeof(q));
    q.caller_system_id = own.id;
    q.caller_cvr = "12345678";
    q.tag = "MEMO_SEND_SENT_TO_RECIPIENT_SYSTEM";
    q.size = 100;
    assert_int_equal(kv_events_search(f->db, &q, &events, &total, NULL, &err), 0);
    assert_int_equal(total, 20);
    json_array_foreach(events, i, e) {
        json_t *p = json_object_get(e, "eventProperties");
        char *text = json_dumps(e, JSON_COMPACT);
        size_t k;
        snprintf(name, sizeof(name), "Fremmed %zu", i);
        assert_string_equal(json_string_value(json_object_get(e, "actor")), name);
        snprintf(name, sizeof(name), "Fremmed %zu", (i + 7) % 20);
        assert_string_equal(json_string_value(json_object_get(p, "recipientSystemName")), name);
        assert_null(json_object_get(p, "recipientSystemId"));
        assert_string_equal(json_string_value(json_object_get(json_object_get(e, "system"), "id")),
                            own.id);
        for (k = 0; k < 20; k++)
            assert_null(strstr(text, other[k].id));
        free(text);
    }
    json_decref(events);
}

static char *basic(const char *token)
{
    size_t n = strlen(token) + 8;
    char *h = malloc(n);

    snprintf(h, n, "Basic %s", token);
    return h;
}

static char *encode(const char *cred)
{
    char *t = NULL, *h;
    size_t n;

    assert_int_equal(kv_b64_encode(cred, strlen(cred), 1024, &t, &n), 0);
    h = basic(t);

    free(t);
    return h;
}

static void test_system_tokens(void **state)
{
    struct fx *f = *state;
    struct kv_system s, got;
    struct kv_err err = {0, ""};
    char *token = NULL, *hdr, *hdr2, *raw = NULL, *other = NULL, cred[256];
    unsigned char *dec = NULL;
    size_t declen = 0;

    assert_int_equal(kv_org_add(f->db, "12345678", "Kommunen", NULL), 0);
    sender(&s, "99999999");
    assert_int_equal(kv_system_add(f->db, &s, &token, &err), KV_ENOTFOUND); /* no such org */
    assert_null(token);
    sender(&s, "12345678");
    snprintf(s.kind, sizeof(s.kind), "printer");
    assert_int_equal(kv_system_add(f->db, &s, &token, &err), KV_EINVAL);
    sender(&s, "12345678");
    s.is_default = 1;
    assert_int_equal(kv_system_add(f->db, &s, &token, &err), KV_EINVAL); /* default: recipients */
    sender(&s, "12345678");
    snprintf(s.receipt_url, sizeof(s.receipt_url), "https://example.invalid/receipts");
    assert_int_equal(kv_system_add(f->db, &s, &token, &err), 0);
    assert_int_equal(strlen(s.id), 36);

    /* token = base64(id:secret) */
    assert_int_equal(kv_b64_decode(token, strlen(token), 1024, &dec, &declen), 0);
    assert_int_equal(declen, 36 + 1 + 64);
    assert_memory_equal(dec, s.id, 36);
    assert_int_equal(dec[36], ':');

    hdr = basic(token);
    assert_int_equal(kv_system_authenticate(f->db, hdr, &got, &err), 0);
    assert_string_equal(got.id, s.id);
    assert_string_equal(got.org_cvr, "12345678");
    assert_string_equal(got.kind, "sender");
    assert_string_equal(got.receipt_url, "https://example.invalid/receipts");
    assert_string_equal(got.status, "active");
    /* scheme is case-insensitive, extra spaces tolerated */
    raw = malloc(strlen(token) + 16);
    snprintf(raw, strlen(token) + 16, "basic   %s", token);
    assert_int_equal(kv_system_authenticate(f->db, raw, &got, &err), 0);
    free(raw);

    /* missing / wrong scheme / malformed */
    assert_int_equal(kv_system_authenticate(f->db, NULL, &got, &err), KV_EAUTH);
    assert_int_equal(kv_system_authenticate(f->db, "", &got, &err), KV_EAUTH);
    assert_int_equal(kv_system_authenticate(f->db, "Bearer abc", &got, &err), KV_EAUTH);
    assert_int_equal(kv_system_authenticate(f->db, "Basic", &got, &err), KV_EAUTH);
    assert_int_equal(kv_system_authenticate(f->db, "Basic !!!!", &got, &err), KV_EAUTH);
    assert_string_equal(err.msg, "malformed API token");
    hdr2 = encode("no-colon-here");
    assert_int_equal(kv_system_authenticate(f->db, hdr2, &got, &err), KV_EAUTH);
    free(hdr2);
    snprintf(cred, sizeof(cred), "%s:short", s.id);
    hdr2 = encode(cred);
    assert_int_equal(kv_system_authenticate(f->db, hdr2, &got, &err), KV_EAUTH);
    free(hdr2);

    /* wrong secret (right shape) and unknown id: same answer */
    snprintf(cred, sizeof(cred), "%s:%064d", s.id, 0);
    hdr2 = encode(cred);
    assert_int_equal(kv_system_authenticate(f->db, hdr2, &got, &err), KV_EAUTH);
    assert_string_equal(err.msg, "invalid API token");
    assert_string_equal(got.id, "");
    free(hdr2);
    memcpy(cred, dec, declen);
    cred[declen] = '\0';
    memcpy(cred, "00000000-0000-4000-8000-000000000000", 36);
    hdr2 = encode(cred);
    assert_int_equal(kv_system_authenticate(f->db, hdr2, &got, &err), KV_EAUTH);
    assert_string_equal(err.msg, "invalid API token");
    free(hdr2);

    /* another system's secret does not open this one */
    sender(&s, "12345678");
    assert_int_equal(kv_system_add(f->db, &s, &other, &err), 0);
    {
        unsigned char *d2 = NULL;
        size_t l2 = 0;

        assert_int_equal(kv_b64_decode(other, strlen(other), 1024, &d2, &l2), 0);
        memcpy(cred, dec, 37);                /* first system's id: */
        memcpy(cred + 37, d2 + 37, l2 - 37);  /* second system's secret */
        cred[l2] = '\0';
        free(d2);
    }
    hdr2 = encode(cred);
    assert_int_equal(kv_system_authenticate(f->db, hdr2, &got, &err), KV_EAUTH);
    free(hdr2);

    /* deactivated systems are refused */
    memcpy(cred, dec, 36);
    cred[36] = '\0';
    assert_int_equal(kv_system_set_status(f->db, cred, "bogus", &err), KV_EINVAL);
    assert_int_equal(kv_system_set_status(f->db, cred, "deactivated", &err), 0);
    assert_int_equal(kv_system_authenticate(f->db, hdr, &got, &err), KV_EAUTH);
    assert_non_null(strstr(err.msg, "deactivated"));
    assert_int_equal(kv_system_set_status(f->db, cred, "active", &err), 0);
    assert_int_equal(kv_system_authenticate(f->db, hdr, &got, &err), 0);
    assert_int_equal(kv_system_get(f->db, "nope", &got, &err), KV_ENOTFOUND);

    free(dec);
    free(hdr);
    free(token);
    free(other);
}

static void test_recipient_system(void **state)
{
    struct fx *f = *state;
    struct kv_system s, got;
    char *t1 = NULL, *t2 = NULL;
    char id1[37];

    assert_int_equal(kv_org_add(f->db, "87654321", "Firma", NULL), 0);
    memset(&s, 0, sizeof(s));
    snprintf(s.org_cvr, sizeof(s.org_cvr), "87654321");
    snprintf(s.kind, sizeof(s.kind), "recipient");
    snprintf(s.name, sizeof(s.name), "Post");
    s.protocol = KV_PROTOCOL_PUSH;
    s.is_default = 1;
    assert_int_equal(kv_system_add(f->db, &s, &t1, NULL), KV_EINVAL); /* push needs a URL */
    snprintf(s.push_url, sizeof(s.push_url), "https://firma.invalid/post");
    assert_int_equal(kv_system_add(f->db, &s, &t1, NULL), 0);
    memcpy(id1, s.id, 37);
    assert_int_equal(kv_system_add(f->db, &s, &t2, NULL), 0); /* new default */
    assert_int_equal(kv_system_get(f->db, id1, &got, NULL), 0);
    assert_int_equal(got.is_default, 0);
    assert_int_equal(got.protocol, KV_PROTOCOL_PUSH);
    assert_int_equal(kv_system_get(f->db, s.id, &got, NULL), 0);
    assert_int_equal(got.is_default, 1);
    free(t1);
    free(t2);
}

/* The one validation of a system's fields: every wrong field named, defaults applied. */
/* https_only (the web pages outside test mode): an http:// endpoint is refused, https kept. */
static void test_system_check_https_only(void **state)
{
    struct kv_system_input in;
    struct kv_system sys;
    struct kv_problem p;

    (void)state;
    memset(&in, 0, sizeof(in));
    in.org = "12345678";
    in.kind = "recipient";
    in.name = "Post";
    in.protocol = "push";
    in.push_url = "http://example.dk/push";
    kv_problem_init(&p);
    assert_int_equal(kv_system_check(&in, &sys, &p), 0);
    in.https_only = 1;
    assert_int_equal(kv_system_check(&in, &sys, &p), KV_EINVAL);
    assert_int_equal(p.n_fields, 1);
    assert_string_equal(p.fields[0].field, "pushUrl");
    assert_string_equal(p.fields[0].message, "must be an https:// URL");
    kv_problem_release(&p);
    in.push_url = "https://example.dk/push";
    assert_int_equal(kv_system_check(&in, &sys, &p), 0);
    in.kind = "sender";
    in.protocol = NULL;
    in.push_url = NULL;
    in.receipt_url = "http://example.dk/r";
    assert_int_equal(kv_system_check(&in, &sys, &p), KV_EINVAL);
    assert_string_equal(p.fields[0].field, "receiptUrl");
    kv_problem_release(&p);
}

static void test_system_check(void **state)
{
    struct kv_system_input in;
    struct kv_system sys;
    struct kv_problem p;
    size_t i;
    int seen = 0;

    (void)state;
    memset(&in, 0, sizeof(in));
    in.org = "12345678";
    in.kind = "recipient";
    in.name = "Post";
    kv_problem_init(&p);
    assert_int_equal(kv_system_check(&in, &sys, &p), 0);
    assert_int_equal(sys.protocol, KV_PROTOCOL_PULL);
    assert_string_equal(sys.org_cvr, "12345678");
    assert_int_equal(p.n_fields, 0);

    in.protocol = "push";
    assert_int_equal(kv_system_check(&in, &sys, &p), KV_EINVAL);
    assert_int_equal(p.kind, KV_EINVAL);
    assert_string_equal(p.code, "INVALID_FIELD");
    assert_int_equal(p.n_fields, 1);
    assert_string_equal(p.fields[0].field, "pushUrl");
    kv_problem_release(&p);

    in.protocol = "smoke";
    in.org = "1234";
    assert_int_equal(kv_system_check(&in, &sys, &p), KV_EINVAL);
    assert_string_equal(p.fields[0].field, "protocol");
    kv_problem_release(&p);

    in.protocol = NULL;
    in.kind = "sender";
    in.receipt_url = "ftp://x";
    in.push_url = "https://example.dk/p";
    in.contact_email = "no-at-sign";
    in.is_default = 1;
    assert_int_equal(kv_system_check(&in, &sys, &p), KV_EINVAL);
    for (i = 0; i < p.n_fields; i++) {
        const char *f = p.fields[i].field;
        seen |= strcmp(f, "org") == 0 ? 1 : strcmp(f, "receiptUrl") == 0 ? 2
              : strcmp(f, "pushUrl") == 0 ? 4 : strcmp(f, "default") == 0 ? 8
              : strcmp(f, "contactEmail") == 0 ? 16 : 0;
    }
    assert_int_equal(seen, 31);
    kv_problem_release(&p);

    in.org = "12345678";
    in.receipt_url = "HTTPS://example.dk/r";
    in.push_url = NULL;
    in.contact_email = "ops@example.dk";
    in.is_default = 0;
    assert_int_equal(kv_system_check(&in, &sys, &p), 0);
    assert_int_equal(sys.protocol, KV_PROTOCOL_NONE);
    kv_problem_release(&p);
}

static void test_mailbox_lifecycle_and_user_tokens(void **state)
{
    struct fx *f = *state;
    struct kv_mailbox mb, got;
    struct kv_err err = {0, ""};
    char *tok = NULL, hdr[128], type[4], id[11];

    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "3002901234"); /* 30 February */
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), KV_EINVAL);
    snprintf(mb.owner_id, sizeof(mb.owner_id), "2211771212");
    snprintf(mb.status, sizeof(mb.status), "CLOSED");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), KV_EINVAL); /* cannot start closed */
    mb.status[0] = '\0';
    snprintf(mb.name, sizeof(mb.name), "Mette");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), 0);
    assert_string_equal(mb.status, "REGISTERED");
    assert_true(mb.id > 0);
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), KV_ECONFLICT);

    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "0101701234");
    snprintf(mb.status, sizeof(mb.status), "EXEMPT");
    snprintf(mb.address, sizeof(mb.address), "Hovedgaden 1");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), 0);
    assert_int_equal(kv_mailbox_find(f->db, "CPR", "0101701234", &got, &err), 0);
    assert_string_equal(got.status, "EXEMPT");
    assert_string_equal(got.address, "Hovedgaden 1");

    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CVR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "123");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), KV_EINVAL);
    snprintf(mb.owner_id, sizeof(mb.owner_id), "12345678");
    assert_int_equal(kv_mailbox_add(f->db, &mb, &err), 0);

    /* user token */
    assert_int_equal(kv_user_token_new(f->db, "CPR", "1502851236", &tok, &err), KV_ENOTFOUND);
    assert_int_equal(kv_user_token_new(f->db, "CPR", "2211771212", &tok, &err), 0);
    snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
    assert_int_equal(kv_user_authenticate(f->db, hdr, type, id, &err), 0);
    assert_string_equal(type, "CPR");
    assert_string_equal(id, "2211771212");
    hdr[strlen(hdr) - 1] = hdr[strlen(hdr) - 1] == '0' ? '1' : '0'; /* one digit off */
    assert_int_equal(kv_user_authenticate(f->db, hdr, type, id, &err), KV_EAUTH);
    assert_string_equal(id, "");
    assert_int_equal(kv_user_authenticate(f->db, "Bearer short", type, id, &err), KV_EAUTH);
    assert_int_equal(kv_user_authenticate(f->db, "Basic abc", type, id, &err), KV_EAUTH);
    assert_int_equal(kv_user_authenticate(f->db, NULL, type, id, &err), KV_EAUTH);
    free(tok);

    /* close */
    assert_int_equal(kv_mailbox_close(f->db, "CPR", "2211771212", &err), 0);
    assert_int_equal(kv_mailbox_find(f->db, "CPR", "2211771212", &got, &err), 0);
    assert_string_equal(got.status, "CLOSED");
    assert_true(got.closed_ms > 0);
    assert_int_equal(kv_mailbox_close(f->db, "CPR", "2211771212", &err), KV_ECONFLICT);
    assert_int_equal(kv_mailbox_close(f->db, "CPR", "1502851236", &err), KV_ENOTFOUND);
    assert_int_equal(kv_mailbox_find(f->db, "CVR", "99999999", &got, &err), KV_ENOTFOUND);
}

static void test_admin_events(void **state)
{
    struct fx *f = *state;
    struct kv_event_query q;
    struct kv_system s;
    struct kv_mailbox mb;
    char *tok = NULL;
    json_t *arr = NULL;
    int64_t n = 0;
    const char *want[] = {"ORGANISATION_CREATED", "SYSTEM_CREATED", "MAILBOX_CREATED",
                          "MAILBOX_CLOSED"};
    size_t i;

    assert_int_equal(kv_org_add(f->db, "12345678", "Kommunen", NULL), 0);
    sender(&s, "12345678");
    assert_int_equal(kv_system_add(f->db, &s, &tok, NULL), 0);
    free(tok);
    memset(&mb, 0, sizeof(mb));
    snprintf(mb.owner_type, sizeof(mb.owner_type), "CPR");
    snprintf(mb.owner_id, sizeof(mb.owner_id), "2211771212");
    assert_int_equal(kv_mailbox_add(f->db, &mb, NULL), 0);
    assert_int_equal(kv_mailbox_close(f->db, "CPR", "2211771212", NULL), 0);
    /* a refused write logs nothing */
    assert_int_equal(kv_org_add(f->db, "12345678", "Dup", NULL), KV_ECONFLICT);

    memset(&q, 0, sizeof(q));
    q.limit = 100;
    assert_int_equal(kv_events_query(f->db, &q, &arr, NULL), 0);
    assert_int_equal(json_array_size(arr), 4);
    for (i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(arr, i), "eventTag")),
                            want[i]);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(arr, 1), "system")), s.id);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(arr, 3), "subject")), "cpr:2211771212");
    json_decref(arr);
    assert_int_equal(kv_events_verify(f->db, &n, NULL), 0);
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test_setup_teardown(test_orgs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ngdp_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_search_names_other_systems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recipient_system, setup, teardown),
        cmocka_unit_test(test_system_check),
        cmocka_unit_test(test_system_check_https_only),
        cmocka_unit_test_setup_teardown(test_mailbox_lifecycle_and_user_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
