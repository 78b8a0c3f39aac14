/* SPDX-License-Identifier: MIT
 *
 * testid.c: the test number ranges of testid.h (day of month 92..99 in a CPR, a leading 0 in
 * a CVR), written once for libmemo and the hub.
 */
#include "util/testid.h"

#include <string.h>

static int digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int kv_testid_cpr_n(const char *s, size_t n)
{
    int day, month;

    if (!s || n != 10 || !digits(s, 10))
        return 0;
    day = (s[0] - '0') * 10 + (s[1] - '0');
    month = (s[2] - '0') * 10 + (s[3] - '0');
    return day >= 92 && day <= 99 && month >= 1 && month <= 12;
}

int kv_testid_cvr_n(const char *s, size_t n)
{
    return s && n == 8 && digits(s, 8) && s[0] == '0';
}

int kv_testid_cpr(const char *s)
{
    return s ? kv_testid_cpr_n(s, strlen(s)) : 0;
}

int kv_testid_cvr(const char *s)
{
    return s ? kv_testid_cvr_n(s, strlen(s)) : 0;
}

int kv_testid_party(const char *id_type, const char *id)
{
    if (!id_type || !id)
        return 0;
    if (strcmp(id_type, "CPR") == 0)
        return kv_testid_cpr(id);
    if (strcmp(id_type, "CVR") == 0)
        return kv_testid_cvr(id);
    return 0;
}
