/* SPDX-License-Identifier: MIT
 *
 * rules_actions.c: Action rules of layer (c). actionCode comes from DigST's code list
 * (NGDP-ACTION-CODE); an Action has at most one target, an EntryPoint or a Reservation, never
 * both (NGDP-ACTION-TARGET); a Reservation (calendar entry) belongs to an AFTALE action
 * (NGDP-RESERVATION-CODE), and an AFTALE action without one is suspicious (NGDP-AFTALE-RESERVATION,
 * warning); EntryPoint/url is an absolute https:// URL with a host (NGDP-URL-HTTPS, enforced
 * by Digital Post since 10 Sep 2025 for MeMo 1.1 and 1.2).
 */
#include <string.h>
#include <strings.h>

#include "memo/rules_int.h"

/* "Vejledning til Actions og frister i MeMo" (DigST), as listed in docs/memo-format.md. */
static const char *const action_codes[] = {
    "AFTALE",      "BEKRAEFT",      "BETALING",   "FORBEREDELSE",
    "INFORMATION", "SELVBETJENING", "TILMELDING", "UNDERSKRIV",
};
#define N_CODES (sizeof(action_codes) / sizeof(action_codes[0]))

/* Index of code s[0..len) in action_codes; with icase, ignoring ASCII case. -1 if absent. */
static int find_code(const char *s, size_t len, int icase)
{
    size_t i;

    for (i = 0; i < N_CODES; i++) {
        if (strlen(action_codes[i]) != len)
            continue;
        if (icase ? strncasecmp(action_codes[i], s, len) == 0
                  : memcmp(action_codes[i], s, len) == 0)
            return (int)i;
    }
    return -1;
}

void kv__rules_action(struct kv__rules *r, xmlNodePtr action)
{
    xmlNodePtr code_el = kv__rules_child(action, KV_MEMO_NS, "actionCode");
    xmlNodePtr res_el = kv__rules_child(action, KV_MEMO_NS, "Reservation");
    unsigned n_ep = kv__rules_count(action, KV_MEMO_NS, "EntryPoint");
    unsigned n_res = kv__rules_count(action, KV_MEMO_NS, "Reservation");
    struct kv__rules_text t = {"", 0, NULL};
    char q[96];
    int code = -1, loose;

    if (code_el) {
        kv__rules_text_get(code_el, &t);
        code = find_code(t.s, t.len, 0);
        if (code < 0) {
            kv__rules_quote(q, sizeof(q), t.s, t.len);
            loose = find_code(t.s, t.len, 1);
            if (loose >= 0)
                kv__memo_diag_node(r->doc, r->d, code_el, KV_MEMO_ERROR, "NGDP-ACTION-CODE",
                                   "actionCode %s is not on the code list; codes are upper "
                                   "case: %s",
                                   q, action_codes[loose]);
            else
                kv__memo_diag_node(r->doc, r->d, code_el, KV_MEMO_ERROR, "NGDP-ACTION-CODE",
                                   "actionCode %s is not on the code list (AFTALE, BEKRAEFT, "
                                   "BETALING, FORBEREDELSE, INFORMATION, SELVBETJENING, "
                                   "TILMELDING, UNDERSKRIV)",
                                   q);
        }
        kv__rules_text_release(&t);
    }
    if (n_ep && n_res)
        kv__memo_diag_node(r->doc, r->d, action, KV_MEMO_ERROR, "NGDP-ACTION-TARGET",
                           "Action has both an EntryPoint and a Reservation; it may have one "
                           "of them, not both");
    else if (n_ep > 1 || n_res > 1)
        kv__memo_diag_node(r->doc, r->d, action, KV_MEMO_ERROR, "NGDP-ACTION-TARGET",
                           "Action has %u %s elements; at most one is allowed",
                           n_ep > 1 ? n_ep : n_res, n_ep > 1 ? "EntryPoint" : "Reservation");
    if (res_el && code >= 0 && strcmp(action_codes[code], "AFTALE") != 0)
        kv__memo_diag_node(r->doc, r->d, res_el, KV_MEMO_ERROR, "NGDP-RESERVATION-CODE",
                           "a Reservation (calendar entry) is only allowed in an Action with "
                           "actionCode AFTALE, not %s",
                           action_codes[code]);
    if (!res_el && code >= 0 && strcmp(action_codes[code], "AFTALE") == 0)
        kv__memo_diag_node(r->doc, r->d, action, KV_MEMO_WARNING, "NGDP-AFTALE-RESERVATION",
                           "Action with actionCode AFTALE has no Reservation, so no calendar "
                           "entry can be offered");
    kv__rules_interval(r, action);
}

/* 1 for the characters RFC 3986 never allows unescaped in a URI (besides controls/space). */
static int bad_uri_char(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' ||
           c == '|' || c == '\\' || c == '^' || c == '`';
}

/* NULL when s[0..len) is an absolute https URL with a host, else a static reason. */
static const char *https_problem(const char *s, size_t len)
{
    size_t i, colon = len, auth, auth_end, host, host_end, port;

    if (len == 0)
        return "it is empty";
    for (i = 0; i < len; i++)
        if (bad_uri_char((unsigned char)s[i]))
            return "it contains a space, control character or one of < > \" { } | \\ ^ `";
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == ':') {
            colon = i;
            break;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
            break;
    }
    if (colon == len || colon == 0)
        return "it is not an absolute URL (no scheme)";
    if (colon == 4 && strncasecmp(s, "http", 4) == 0)
        return "it uses http; Digital Post requires https://";
    if (colon != 5 || strncasecmp(s, "https", 5) != 0)
        return "its scheme is not https";
    if (len < 8 || s[6] != '/' || s[7] != '/')
        return "it has no host (expected https://host/...)";
    auth = 8;
    for (auth_end = auth; auth_end < len; auth_end++)
        if (s[auth_end] == '/' || s[auth_end] == '?' || s[auth_end] == '#')
            break;
    host = auth;
    for (i = auth; i < auth_end; i++)
        if (s[i] == '@')
            host = i + 1; /* skip user information */
    if (host < auth_end && s[host] == '[') {
        for (host_end = host; host_end < auth_end && s[host_end] != ']'; host_end++)
            ;
        if (host_end == auth_end || host_end == host + 1)
            return "its IPv6 host literal is malformed";
        host_end++;
    } else {
        for (host_end = host; host_end < auth_end && s[host_end] != ':'; host_end++)
            if (s[host_end] == '[' || s[host_end] == ']')
                return "its host is malformed";
    }
    if (host_end == host)
        return "it has no host (expected https://host/...)";
    if (host_end < auth_end) {
        if (s[host_end] != ':')
            return "its host is malformed";
        unsigned long v = 0;
        for (port = host_end + 1; port < auth_end; port++) {
            if (s[port] < '0' || s[port] > '9')
                return "its port is not a number";
            if ((v = v * 10 + (unsigned long)(s[port] - '0')) > 65535)
                return "its port is out of range";
        }
    }
    return NULL;
}

void kv__rules_url(struct kv__rules *r, xmlNodePtr url)
{
    struct kv__rules_text t;
    const char *s, *why;
    size_t len;
    char q[96];

    kv__rules_text_get(url, &t);
    s = t.s;
    len = t.len;
    kv__rules_trim(&s, &len); /* anyURI collapses surrounding whitespace */
    why = https_problem(s, len);
    if (why) {
        kv__rules_quote(q, sizeof(q), s, len);
        kv__memo_diag_node(r->doc, r->d, url, KV_MEMO_ERROR, "NGDP-URL-HTTPS",
                           "EntryPoint url %s is not an absolute https:// URL with a host: %s", q,
                           why);
    }
    kv__rules_text_release(&t);
}
