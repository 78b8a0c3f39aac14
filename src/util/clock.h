/* SPDX-License-Identifier: MIT
 *
 * clock.h: the hub's notion of "now". Production uses the real UTC clock. With the test clock
 * enabled (kuvert serve --test-clock), POST /test/clock advances a process-wide offset so
 * tests can move time through value dates and retry schedules. Thread-safe (atomic offset).
 */
#ifndef KV_UTIL_CLOCK_H
#define KV_UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define KV_CLOCK_OFFSET_FILE "test-clock-offset" /* in the data directory */

/* Milliseconds since the Unix epoch, UTC, including any test offset. */
int64_t kv_clock_now_ms(void);
/* Adds delta_ms (>= 0) to the test offset. */
void kv_clock_advance_ms(int64_t delta_ms);
int64_t kv_clock_offset_ms(void);

/* The test offset survives restarts (clock_file.c): POST /test/clock saves it to
 * DATA/test-clock-offset (temporary file, fsync, rename), `kuvert serve --test-clock` and the
 * admin CLI load it, so time never goes backwards for a data directory whose clock a test
 * moved. Save: 0 or KV_EIO. Load: 0 (also when there is no file: offset unchanged, *out_found
 * 0), KV_EIO, or KV_EINVAL for a file that is not one non-negative integer; out_found may be
 * NULL. data_dir is borrowed. */
int kv_clock_save_offset(const char *data_dir, struct kv_err *err);
int kv_clock_load_offset(const char *data_dir, int *out_found, struct kv_err *err);
/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 32 bytes). */
void kv_clock_format_utc(int64_t ms, char *out, size_t outlen);
/* Parses an xs:dateTime in UTC "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (surrounding whitespace
 * allowed, as xs:dateTime collapses it) into Unix ms, the fraction truncated to ms. No other
 * zone or offset is accepted. 0 or KV_EINVAL. */
int kv_clock_parse_utc(const char *s, int64_t *out_ms);
/* Parses a duration such as "36h", "90m", "7d", "15s", "500ms", "1d12h" into ms.
 * Returns 0 or KV_EINVAL. Bounded to 10 years. */
int kv_clock_parse_duration(const char *s, int64_t *out_ms);
/* Unix ms of 00:00 Europe/Copenhagen on the civil date y-m-d (EU summer-time rules:
 * CEST from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC). */
int64_t kv_clock_copenhagen_midnight_ms(int y, int m, int d);
/* The civil date in Europe/Copenhagen at Unix ms, as "YYYY-MM-DD" into out. */
void kv_clock_copenhagen_date(int64_t ms, char out[11]);
/* 1 when s is exactly a real calendar date "YYYY-MM-DD" from 1970 on; else 0. */
int kv_clock_date_valid(const char *s);
/* Europe/Copenhagen's offset from UTC at instant ms: 1 h (CET) or 2 h (CEST), same rules. */
int64_t kv_clock_copenhagen_offset_ms(int64_t ms);

/* Sleeps a random 1 ms .. (4 << attempt) ms of real time (attempt 0..8: at most 1,024 ms): the
 * pause before a transaction that lost a deadlock runs again, so that the two that met do not
 * meet again in step. */
void kv_clock_backoff(int attempt);
/* The moment ms (>= 0) from now on clock_id (CLOCK_MONOTONIC, CLOCK_REALTIME), normalised, for
 * pthread_cond_timedwait: the one place that adds milliseconds to a struct timespec. */
struct timespec;
void kv_clock_deadline(struct timespec *out, int clock_id, int64_t ms);

#endif
