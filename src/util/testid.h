/* SPDX-License-Identifier: MIT
 *
 * testid.h: the number ranges of test identities (docs/testportal.md), the one place that
 * says which CPR and CVR numbers can never belong to a real person or company:
 *
 *   test CPR: 10 digits whose DDMMYY has a day of month 92..99 and a month 01..12. The CPR
 *             office uses days 01..31 for persons and 61..91 for substitute numbers
 *             (erstatningspersonnumre: day + 60), so 92..99 is never issued.
 *   test CVR: 8 digits starting with 0. CVR numbers are issued from 10000000 upwards, so a
 *             leading 0 never names a real company or authority.
 *
 * libmemo (the NGDP-CPR rule) and the hub (mailboxes, persons, the send path's refusal of
 * test data on a server without --test-login) ask these predicates.
 *
 * Ownership: nothing is allocated; pure functions, thread-safe.
 */
#ifndef KV_UTIL_TESTID_H
#define KV_UTIL_TESTID_H

#include <stddef.h>

/* 1 when s[0..n) is a test CPR / test CVR as above; 0 otherwise. */
int kv_testid_cpr_n(const char *s, size_t n);
int kv_testid_cvr_n(const char *s, size_t n);
/* The same for a NUL-terminated string (NULL: 0). */
int kv_testid_cpr(const char *s);
int kv_testid_cvr(const char *s);
/* 1 when id is a test number of its type ("CPR" or "CVR"); 0 for anything else. */
int kv_testid_party(const char *id_type, const char *id);

#endif
