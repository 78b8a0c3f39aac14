/* SPDX-License-Identifier: MIT
 *
 * i18n.c: reads the GNU .mo catalogs compiled from po/da.po and po/en.po (embedded by tools/embed.c) and
 * looks messages up by binary search over the sorted msgid table, as libintl does. The
 * file is checked once at start-up: magic, revision, and every string inside the file and
 * NUL-terminated. See i18n.h for why not gettext(3).
 */
#include "web/i18n.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "memo/embed.h"

#define MO_MAGIC 0x950412deu

struct kv_i18n_lang {
    const char *code;              /* "da" */
    const char *file;              /* embedded path */
    const unsigned char *mo;       /* file bytes */
    size_t len;                    /* file length */
    uint32_t n;                    /* strings */
    uint32_t orig_off, trans_off;  /* offsets of the two string tables */
};

static struct kv_i18n_lang langs[] = {
    {"da", "build/po/da.mo", NULL, 0, 0, 0, 0},
    {"en", "build/po/en.mo", NULL, 0, 0, 0, 0},
};
#define N_LANGS (sizeof(langs) / sizeof(langs[0]))

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_msg[200];

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* 1 when entry i of the table at off is a NUL-terminated string inside the file. */
static int entry_ok(const struct kv_i18n_lang *l, uint32_t off, uint32_t i)
{
    uint64_t e = (uint64_t)off + 8ull * i, slen, soff;

    if (e + 8 > l->len)
        return 0;
    slen = rd32(l->mo + e);
    soff = rd32(l->mo + e + 4);
    return soff + slen < l->len && l->mo[soff + slen] == '\0';
}

static int load(struct kv_i18n_lang *l)
{
    const struct kv_embed_file *f;
    uint32_t i;

    for (f = kv_embed_files; f->name; f++)
        if (strcmp(f->name, l->file) == 0)
            break;
    if (!f->name || f->len < 28)
        return -1;
    l->mo = (const unsigned char *)f->data;
    l->len = f->len;
    if (rd32(l->mo) != MO_MAGIC || (rd32(l->mo + 4) >> 16) != 0)
        return -1;
    l->n = rd32(l->mo + 8);
    l->orig_off = rd32(l->mo + 12);
    l->trans_off = rd32(l->mo + 16);
    for (i = 0; i < l->n; i++)
        if (!entry_ok(l, l->orig_off, i) || !entry_ok(l, l->trans_off, i))
            return -1;
    return 0;
}

static void init_once(void)
{
    size_t i;

    for (i = 0; i < N_LANGS; i++)
        if (load(&langs[i]) < 0) {
            init_rc = KV_EINTERNAL;
            snprintf(init_msg, sizeof(init_msg), "message catalog %s is missing or corrupt",
                     langs[i].file);
            langs[i].n = 0;
        }
}

int kv_i18n_init(struct kv_err *err)
{
    pthread_once(&once, init_once);
    if (init_rc < 0)
        return kv_err_set(err, init_rc, "%s", init_msg);
    return 0;
}

const struct kv_i18n_lang *kv_i18n_find(const char *code)
{
    size_t i;

    if (!code)
        return NULL;
    for (i = 0; i < N_LANGS; i++)
        if (strcmp(langs[i].code, code) == 0)
            return &langs[i];
    return NULL;
}

const struct kv_i18n_lang *kv_i18n_default(void)
{
    return &langs[0];
}

const char *kv_i18n_code(const struct kv_i18n_lang *l)
{
    return l ? l->code : langs[0].code;
}

const char *kv_i18n_get(const struct kv_i18n_lang *l, const char *msgid)
{
    uint32_t lo = 0, hi, mid;
    int c;

    pthread_once(&once, init_once);
    if (!l || !msgid || l->n == 0)
        return msgid;
    hi = l->n;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(msgid, (const char *)l->mo + rd32(l->mo + l->orig_off + 8u * mid + 4));
        if (c == 0) {
            const char *t = (const char *)l->mo + rd32(l->mo + l->trans_off + 8u * mid + 4);
            return (t[0] && rd32(l->mo + l->trans_off + 8u * mid)) ? t : msgid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return msgid;
}
