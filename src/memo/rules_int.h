/* SPDX-License-Identifier: MIT
 *
 * rules_int.h: private interface between the NgDP business-rule files (src/memo/rules*.c).
 * rules.c owns the single walk over the libxml2 tree and calls the per-element checks declared
 * here; the other files each hold one concept (ids, time, files, actions, message-level rules).
 * Every rule code is documented in docs/memo-rules.md.
 *
 * Nothing here assumes schema validity: every check looks its children up by namespace URI and
 * local name, tolerates missing, repeated or misplaced elements, and never asserts.
 * All functions borrow their arguments; none keeps a pointer after returning.
 */
#ifndef KV_MEMO_RULES_INT_H
#define KV_MEMO_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "memo/doc_int.h"

#define KV_GRD_NS "https://data.gov.dk/model/core/"

/* Limits from "Bekendtgørelse om størrelse på filer i Digital Post" and DigST (see the doc). */
#define KV_RULES_MAX_ATTACHMENTS 10u                  /* documents besides MainDocument */
#define KV_RULES_MAX_TOTAL_BYTES ((uint64_t)99500000) /* 99.5 MB, MB = 1,000,000 bytes */
#define KV_RULES_NEMSMS_MAX_CHARS 160u                /* Unicode characters, not bytes */

/* State of one kv__memo_rules_run call. */
struct kv__rules {
    struct kv_memo_doc *doc; /* borrowed document being checked */
    struct kv_memo_diags *d; /* borrowed diagnostics sink */
    xmlNodePtr body;         /* first memo:MessageBody seen, NULL if none */
    uint64_t total_bytes;    /* decoded bytes of every File/content seen so far */
    xmlNodePtr size_crossed; /* File whose content first took total_bytes over the limit */
    unsigned n_files;        /* File elements seen */
};

/* Text of an element: a view into the tree when the element has a single text child (the
 * common case, no allocation), else an owned concatenation. Release with kv__rules_text_release. */
struct kv__rules_text {
    const char *s;  /* borrowed or owned bytes (UTF-8), never NULL after _get */
    size_t len;     /* length of s in bytes */
    xmlChar *owned; /* non-NULL when s was allocated by libxml2 */
};

/* ---- helpers (rules.c) ---- */

/* 1 when n is an element named local in namespace ns. */
int kv__rules_is(const xmlNode *n, const char *ns, const char *local);
/* First child element of parent named local in namespace ns, or NULL (borrowed). */
xmlNodePtr kv__rules_child(const xmlNode *parent, const char *ns, const char *local);
/* Number of child elements of parent named local in namespace ns. */
unsigned kv__rules_count(const xmlNode *parent, const char *ns, const char *local);
void kv__rules_text_get(const xmlNode *el, struct kv__rules_text *t);
void kv__rules_text_release(struct kv__rules_text *t);
/* Narrows [*s, *s + *len) by dropping XML whitespace (space, tab, CR, LF) at both ends. */
void kv__rules_trim(const char **s, size_t *len);
/* Writes s[0..len) into out as a quoted, printable excerpt for messages: control characters
 * become \xNN, and long values are cut at a UTF-8 boundary and end in "...". */
void kv__rules_quote(char *out, size_t out_size, const char *s, size_t len);
/* Number of Unicode characters in valid UTF-8 s[0..len). */
size_t kv__rules_utf8_chars(const char *s, size_t len);

/* ---- rules_ids.c ---- */
void kv__rules_uuid(struct kv__rules *r, xmlNodePtr el); /* any *UUID element */
void kv__rules_party(struct kv__rules *r, xmlNodePtr el, /* Sender, Recipient, */
                     const char *id_local);              /* Representative      */
void kv__rules_cpr(struct kv__rules *r, xmlNodePtr el, const char *what);
void kv__rules_cvr(struct kv__rules *r, xmlNodePtr el, const char *what);

/* ---- rules_time.c ---- */
void kv__rules_datetime(struct kv__rules *r, xmlNodePtr el); /* memoDateTimeType */
void kv__rules_date(struct kv__rules *r, xmlNodePtr el);     /* xs:date */
/* Warns when el's endDateTime is before its startDateTime (Action, Reservation). */
void kv__rules_interval(struct kv__rules *r, xmlNodePtr el);
/* 1 when y-m-d is a real Gregorian calendar date (leap years included). */
int kv__rules_valid_ymd(long y, int m, int d);

/* ---- rules_files.c ---- */
void kv__rules_file(struct kv__rules *r, xmlNodePtr file);
void kv__rules_body(struct kv__rules *r, xmlNodePtr body); /* attachment count */
void kv__rules_finish_files(struct kv__rules *r);          /* total size */
/* ---- rules_actions.c ---- */
void kv__rules_action(struct kv__rules *r, xmlNodePtr action);
void kv__rules_url(struct kv__rules *r, xmlNodePtr url);

/* ---- rules_message.c ---- */
void kv__rules_message(struct kv__rules *r, xmlNodePtr root);     /* messageType rules */
void kv__rules_addresses(struct kv__rules *r, xmlNodePtr holder); /* Unstructured alone */

#endif
