/* SPDX-License-Identifier: MIT
 *
 * i18n.h: the web pages' message catalogs. UI text lives in po/da.po and po/en.po (GNU
 * gettext PO files, msgids in English); the build compiles them with msgfmt into .mo files
 * that are embedded in the binary. We read the .mo format ourselves instead of calling
 * gettext(3) because gettext picks its language from the process-global locale, while each
 * request of a threaded server needs its own language. Danish is the default.
 *
 * Ownership: languages are static and read-only once kv_i18n_init succeeded; every pointer
 * returned lives for the process. Thread-safe after init.
 */
#ifndef KV_WEB_I18N_H
#define KV_WEB_I18N_H

#include "util/err.h"

struct kv_i18n_lang;

/* Marks a msgid in the source so that xgettext --keyword=N_ finds it (po/ is checked against
 * the ids in src/web); the text is translated where it is used (%m of html.h). */
#define N_(s) s

/* Loads and checks the embedded catalogs (idempotent). KV_EINTERNAL if one is corrupt. */
int kv_i18n_init(struct kv_err *err);
/* The language for code "da" or "en"; NULL for anything else. */
const struct kv_i18n_lang *kv_i18n_find(const char *code);
/* Danish. */
const struct kv_i18n_lang *kv_i18n_default(void);
/* "da" / "en". */
const char *kv_i18n_code(const struct kv_i18n_lang *l);
/* Translation of msgid in l, or msgid itself when the catalog has none (l NULL: msgid). */
const char *kv_i18n_get(const struct kv_i18n_lang *l, const char *msgid);

#endif
