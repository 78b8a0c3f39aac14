/* SPDX-License-Identifier: MIT
 *
 * test_notify_settings.c: the validation of notification settings (notify/settings.h,
 * notify/outbox.h; docs/notifications.md "Settings belong to an access") against a real store:
 * the mobile number rule ^[2-9][0-9]{7}$, at most 5 e-mail addresses per access (and the same
 * address twice refused), a confirmation link used once, a mobile number confirmed only by its
 * own PIN and void after 5 wrong ones, quiet hours "HH:MM" parsing and their bounds, and
 * opt-out. Each refusal changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "notify/outbox.h"
#include "notify/settings.h"
#include "store/store.h"
#include "unit/hub/store_fixture.h"

struct fx {
    char dir[64];
    struct kv_store *st;
    struct kv_db *db;
    struct kv_notify_access a;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kv_err err = {0, ""};

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/kuvert-nset-XXXXXX");
    assert_int_equal(kv_test_store_new(f->dir, &f->st, &f->db, &err), 0);
    assert_int_equal(kv_db_exec(f->db,
                                "INSERT INTO mailboxes (id, owner_type, owner_id, status, "
                                "created_ms) VALUES (1, 'CPR', '0101701234', 'REGISTERED', 0)",
                                &err),
                     0);
    assert_int_equal(kv_notify_access_for(f->db, "CPR", "0101701234", "CPR:0101701234",
                                          "cpr:0101701234", &f->a, &err),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    kv_test_store_free(f->dir, f->st, f->db);
    free(f);
    return 0;
}

static int64_t scalar(struct kv_db *db, const char *sql)
{
    struct kv_err err = {0, ""};
    struct kv_stmt *s;
    int64_t v = -1;

    assert_int_equal(kv_db_prepare(db, sql, &s, &err), 0);
    if (kv_stmt_step(s, &err) == KV_ROW && !kv_stmt_col_is_null(s, 0))
        v = kv_stmt_col_int64(s, 0);
    kv_stmt_done(s);
    return v;
}

static void test_mobile_number_rule(void **state)
{
    static const char *const good[] = {"20000000", "21234567", "99999999", "31415926"};
    static const char *const bad[] = {"",          "1",         "10000000",  "01234567",
                                      "2123456",   "212345678", "+4521234567", "4521234567",
                                      "2123 4567", "2123456a",  " 21234567",  "21234567 ",
                                      "２1234567"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(kv_notify_mobile_ok(good[i]));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (kv_notify_mobile_ok(bad[i]))
            fail_msg("accepted %s", bad[i]);
    assert_false(kv_notify_mobile_ok(NULL));
}

static void test_mobile_set_refuses_and_confirms_with_its_pin(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    char pin[7], wrong[16];
    int i;

    assert_int_equal(kv_notify_mobile_set(f->db, &f->a, "12345678", 0, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_notify_mobile_set(f->db, &f->a, "+4521234567", 0, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels"), 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox"), 0);
    assert_int_equal(kv_notify_mobile_set(f->db, &f->a, "21234567", 1000, pin, &err), 0);
    assert_int_equal(strlen(pin), 6);
    /* the PIN goes out as an SMS to that number */
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_outbox WHERE kind = 'PIN' AND "
                                   "channel = 'SMS' AND target = '21234567'"),
                     1);
    snprintf(wrong, sizeof(wrong), "%06d", (atoi(pin) + 1) % 1000000);
    assert_int_equal(kv_notify_mobile_confirm(f->db, &f->a, wrong, 2000, &err), KV_EINVAL);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels WHERE confirmed_ms IS "
                                   "NOT NULL"),
                     0);
    assert_int_equal(kv_notify_mobile_confirm(f->db, &f->a, pin, 3000, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels WHERE kind = 'SMS' AND "
                                   "confirmed_ms IS NOT NULL"),
                     1);
    /* a new number replaces it and needs its own PIN; 5 wrong answers void that PIN */
    assert_int_equal(kv_notify_mobile_set(f->db, &f->a, "31234567", 4000, pin, &err), 0);
    snprintf(wrong, sizeof(wrong), "%06d", (atoi(pin) + 1) % 1000000);
    for (i = 0; i < KV_NOTIFY_PIN_ATTEMPTS; i++)
        assert_int_equal(kv_notify_mobile_confirm(f->db, &f->a, wrong, 5000, &err), KV_EINVAL);
    assert_int_equal(kv_notify_mobile_confirm(f->db, &f->a, pin, 6000, &err), KV_EPERM);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels WHERE confirmed_ms IS "
                                   "NOT NULL"),
                     0);
}

static void test_pin_expires(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    char pin[7];

    assert_int_equal(kv_notify_mobile_set(f->db, &f->a, "21234567", 1000, pin, &err), 0);
    assert_int_equal(kv_notify_mobile_confirm(f->db, &f->a, pin, 1000 + KV_NOTIFY_PIN_TTL_MS + 1,
                                              &err),
                     KV_EPERM);
}

static void test_at_most_five_email_addresses(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};
    char addr[64], token[KV_NOTIFY_TOKEN_LEN + 1];
    int i;

    for (i = 0; i < KV_NOTIFY_EMAIL_MAX; i++) {
        snprintf(addr, sizeof(addr), "person%d@example.dk", i);
        assert_int_equal(kv_notify_email_add(f->db, &f->a, addr, "http://k", 1000, NULL, token,
                                             &err),
                         0);
    }
    assert_int_equal(KV_NOTIFY_EMAIL_MAX, 5);
    assert_int_equal(kv_notify_email_add(f->db, &f->a, "sixth@example.dk", "http://k", 1000,
                                         NULL, NULL, &err),
                     KV_ETOOBIG);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels WHERE kind = 'EMAIL'"),
                     5);
    /* each got its confirmation mail; the sixth none */
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM mail_outbox"), 5);
    /* the last link confirms once */
    assert_int_equal(kv_notify_email_confirm(f->db, token, 2000, NULL, &err), 0);
    assert_int_not_equal(kv_notify_email_confirm(f->db, token, 2001, NULL, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels WHERE confirmed_ms IS "
                                   "NOT NULL"),
                     1);
}

static void test_email_address_refusals(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};

    assert_int_equal(kv_notify_email_add(f->db, &f->a, "not an address", "", 0, NULL, NULL, &err),
                     KV_EINVAL);
    assert_int_equal(kv_notify_email_add(f->db, &f->a, "", "", 0, NULL, NULL, &err), KV_EINVAL);
    assert_int_equal(kv_notify_email_add(f->db, &f->a, "Mette@Example.dk", "", 0, NULL, NULL,
                                         &err),
                     0);
    /* the same address again (case does not matter) */
    assert_int_equal(kv_notify_email_add(f->db, &f->a, "mette@example.dk", "", 0, NULL, NULL,
                                         &err),
                     KV_ECONFLICT);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_channels"), 1);
}

static void test_quiet_hours_parse_and_bounds(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};

    assert_int_equal(kv_notify_parse_hhmm("00:00"), 0);
    assert_int_equal(kv_notify_parse_hhmm("07:30"), 450);
    assert_int_equal(kv_notify_parse_hhmm("23:59"), 1439);
    assert_int_equal(kv_notify_parse_hhmm("24:00"), -1);
    assert_int_equal(kv_notify_parse_hhmm("12:60"), -1);
    assert_int_equal(kv_notify_parse_hhmm("7:30"), -1);
    assert_int_equal(kv_notify_parse_hhmm("07:30:00"), -1);
    assert_int_equal(kv_notify_parse_hhmm(""), -1);
    assert_int_equal(kv_notify_parse_hhmm(NULL), -1);
    /* from = to, or out of the day: refused */
    assert_int_equal(kv_notify_quiet_set(f->db, &f->a, 600, 600, 0, &err), KV_EINVAL);
    assert_int_equal(kv_notify_quiet_set(f->db, &f->a, 1440, 60, 0, &err), KV_EINVAL);
    assert_int_equal(kv_notify_quiet_set(f->db, &f->a, 60, 1440, 0, &err), KV_EINVAL);
    assert_int_equal(kv_notify_quiet_set(f->db, &f->a, 60, -1, 0, &err), KV_EINVAL);
    /* over midnight is allowed: 22:00-07:00 */
    assert_int_equal(kv_notify_quiet_set(f->db, &f->a, 1320, 420, 0, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT quiet_from FROM notify_settings"), 1320);
    assert_int_equal(scalar(f->db, "SELECT quiet_to FROM notify_settings"), 420);
    /* off */
    assert_int_equal(kv_notify_quiet_set(f->db, &f->a, -1, 0, 0, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_settings WHERE quiet_from IS "
                                   "NULL AND quiet_to IS NULL"),
                     1);
}

static void test_opt_out_and_back(void **state)
{
    struct fx *f = *state;
    struct kv_err err = {0, ""};

    assert_int_equal(kv_notify_optout_set(f->db, &f->a, 1, 1234, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT opted_out_ms FROM notify_settings"), 1234);
    assert_int_equal(kv_notify_optout_set(f->db, &f->a, 0, 2000, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT COUNT(*) FROM notify_settings WHERE opted_out_ms IS "
                                   "NULL"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobile_number_rule),
        cmocka_unit_test_setup_teardown(test_mobile_set_refuses_and_confirms_with_its_pin, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pin_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_most_five_email_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_email_address_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet_hours_parse_and_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opt_out_and_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
