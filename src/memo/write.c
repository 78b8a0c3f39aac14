/* SPDX-License-Identifier: MIT
 *
 * write.c: kv_memo_write, struct kv_memo_message -> canonical MeMo XML. A generic walk over the
 * element tables of model.c (XSD sequence order) driving libxml2's xmlTextWriter, which does
 * all escaping; its output buffer streams straight into the caller's bounded struct kv_buf.
 * Canonical form: XML declaration with encoding="UTF-8", root memo:Message (SF1601 requires
 * the prefix "memo") declaring every sub-namespace under its conventional prefix, elements
 * always prefixed, two-space indentation. Base64 file content that is clean (it always is when
 * read or built through libmemo) is written raw in one piece, skipping the escaping scan.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/encoding.h>
#include <libxml/globals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>

#include "memo/model.h"
#include "memo/model_int.h"
#include "util/base64.h"

#define RAW_CHUNK ((size_t)1 << 26) /* xmlTextWriterWriteRawLen takes an int length */
#define CAT(obj, off) ((const char *)(obj) + (off))

struct wctx {
    xmlTextWriterPtr w;  /* the libxml2 writer */
    struct kv_buf *out;  /* destination */
    int io_rc;           /* KV_E* from the output callback, 0 when fine */
    int strict;          /* !KV_MEMO_WRITE_LENIENT */
    int version;         /* kv_memo_version_code of the message */
    struct kv_err *err;  /* caller's error detail */
};

static int io_write(void *ctx, const char *buf, int len)
{
    struct wctx *c = ctx;
    int rc = kv_buf_append(c->out, buf, (size_t)len);

    if (rc < 0) {
        c->io_rc = rc;
        return -1;
    }
    return len;
}

/* libxml2 reports a failed output callback as an I/O error on the thread's error handler;
 * the caller learns about it through our return code instead. */
static void quiet(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

static int io_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Maps a failed libxml2 writer call to a KV_E* code with a message. */
static int xml_fail(struct wctx *c, const char *what)
{
    if (c->io_rc == KV_ETOOBIG)
        return kv_err_set(c->err, KV_ETOOBIG, "XML output exceeds %zu bytes", c->out->max);
    return kv_err_set(c->err, KV_EINTERNAL, "libxml2 writer failed at %s", what);
}

/* 1 when s is UTF-8 made only of characters XML 1.0 allows (Char production). */
static int xml_chars_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int len = 4, cp;
        if (*p < 0x80) {
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                return 0;
            p++;
            continue;
        }
        cp = xmlGetUTF8Char(p, &len);
        if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return 0;
        p += len;
    }
    return 1;
}

static int missing(struct wctx *c, const char *path, const char *name)
{
    return kv_err_set(c->err, KV_EINVAL, "%s/%s is required but missing", path, name);
}

static int put_text(struct wctx *c, const char *prefix, const char *name, const char *value,
                    const char *path)
{
    if (!xml_chars_ok(value))
        return kv_err_set(c->err, KV_EINVAL,
                          "%s/%s is not valid UTF-8 or holds a character XML cannot carry",
                          path, name);
    if (xmlTextWriterWriteElementNS(c->w, (const xmlChar *)prefix, (const xmlChar *)name, NULL,
                                    (const xmlChar *)value) < 0)
        return xml_fail(c, name);
    return 0;
}

static int put_content(struct wctx *c, const struct kv_memo_file *f, const char *path)
{
    int clean = kv_b64_valid(f->content, f->content_len, NULL);
    size_t done = 0;

    if (!clean && c->strict)
        return kv_err_set(c->err, KV_EINVAL, "%s/content is not valid base64", path);
    if (!clean)
        return put_text(c, "memo", "content", f->content, path);
    if (xmlTextWriterStartElementNS(c->w, (const xmlChar *)"memo", (const xmlChar *)"content",
                                    NULL) < 0)
        return xml_fail(c, "content");
    while (done < f->content_len) {
        size_t n = f->content_len - done > RAW_CHUNK ? RAW_CHUNK : f->content_len - done;
        if (xmlTextWriterWriteRawLen(c->w, (const xmlChar *)f->content + done, (int)n) < 0)
            return xml_fail(c, "content");
        done += n;
    }
    if (xmlTextWriterEndElement(c->w) < 0)
        return xml_fail(c, "content");
    return 0;
}

static int write_obj(struct wctx *c, const struct kv__memo_type *t, const void *obj,
                     const char *path);

static int write_child(struct wctx *c, const struct kv__memo_field *f, const void *obj,
                       const char *path)
{
    const char *prefix = kv__memo_ns_prefix[f->ns];
    char sub[512];
    int rc;

    if (xmlTextWriterStartElementNS(c->w, (const xmlChar *)prefix, (const xmlChar *)f->name,
                                    NULL) < 0)
        return xml_fail(c, f->name);
    snprintf(sub, sizeof sub, "%s/%s", path, f->name); /* truncation only shortens messages */
    rc = write_obj(c, f->type, obj, sub);
    if (rc < 0)
        return rc;
    if (xmlTextWriterEndElement(c->w) < 0)
        return xml_fail(c, f->name);
    return 0;
}

static int write_field(struct wctx *c, const struct kv__memo_field *f, const void *obj,
                       const char *path)
{
    const char *prefix = kv__memo_ns_prefix[f->ns];
    int present;
    size_t k;

    switch (f->kind) {
    case KV__K_TEXT:
    case KV__K_OPT:
        present = *(void *const *)CAT(obj, f->off) != NULL;
        break;
    case KV__K_LIST:
        present = *(const size_t *)CAT(obj, f->count_off) > 0;
        break;
    case KV__K_CONTENT:
        present = ((const struct kv_memo_file *)obj)->content != NULL;
        break;
    case KV__K_BOOL:
        present = *(const enum kv_memo_bool *)CAT(obj, f->off) != KV_MEMO_BOOL_ABSENT;
        break;
    default:
        present = 1;
        break;
    }
    if (present && (f->flags & KV__F_V12) && c->version < 12 && c->strict)
        return kv_err_set(c->err, KV_EINVAL, "%s/%s exists only from MeMo 1.2", path, f->name);
    if (!present) {
        if (f->kind == KV__K_BOOL && (f->flags & KV__F_REQ11) && c->version < 12)
            return put_text(c, prefix, f->name, "false", path); /* the schema default */
        if (f->kind == KV__K_CONTENT && c->strict)
            return kv_err_set(c->err, KV_EINVAL,
                              "%s/content was not loaded (read with KV_MEMO_READ_NO_CONTENT)",
                              path);
        if ((f->flags & KV__F_REQ) && c->strict)
            return missing(c, path, f->name);
        return 0;
    }
    switch (f->kind) {
    case KV__K_TEXT:
        return put_text(c, prefix, f->name, *(char *const *)CAT(obj, f->off), path);
    case KV__K_BOOL:
        return put_text(c, prefix, f->name,
                        *(const enum kv_memo_bool *)CAT(obj, f->off) == KV_MEMO_BOOL_TRUE
                            ? "true"
                            : "false",
                        path);
    case KV__K_CONTENT:
        return put_content(c, obj, path);
    case KV__K_INLINE:
        return write_child(c, f, CAT(obj, f->off), path);
    case KV__K_OPT:
        return write_child(c, f, *(void *const *)CAT(obj, f->off), path);
    case KV__K_LIST: {
        const char *arr = *(char *const *)CAT(obj, f->off);
        size_t n = *(const size_t *)CAT(obj, f->count_off);
        for (k = 0; k < n; k++) {
            int rc = write_child(c, f, arr + k * f->type->size, path);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    default:
        return 0;
    }
}

static int write_obj(struct wctx *c, const struct kv__memo_type *t, const void *obj,
                     const char *path)
{
    size_t i;
    int rc;

    if (c->strict && strcmp(t->name, "Action") == 0) {
        const struct kv_memo_action *a = obj;
        if (a->reservation && a->entry_point)
            return kv_err_set(c->err, KV_EINVAL,
                              "%s has both Reservation and EntryPoint (at most one)", path);
    }
    for (i = 0; i < t->n_fields; i++) {
        rc = write_field(c, &t->fields[i], obj, path);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int write_attr(struct wctx *c, const char *name, const char *value)
{
    if (!xml_chars_ok(value))
        return kv_err_set(c->err, KV_EINVAL, "@%s is not valid UTF-8 or holds a character "
                                             "XML cannot carry", name);
    if (xmlTextWriterWriteAttribute(c->w, (const xmlChar *)name, (const xmlChar *)value) < 0)
        return xml_fail(c, name);
    return 0;
}

static int write_message(struct wctx *c, const struct kv_memo_message *msg)
{
    char decl[200];
    const char *sch = NULL;
    int rc, i;

    if (xmlTextWriterSetIndent(c->w, 1) < 0 ||
        xmlTextWriterSetIndentString(c->w, (const xmlChar *)"  ") < 0 ||
        xmlTextWriterStartElement(c->w, (const xmlChar *)"memo:Message") < 0)
        return xml_fail(c, "Message");
    for (i = 0; i < KV__NS_COUNT; i++) {
        rc = snprintf(decl, sizeof decl, "xmlns:%s", kv__memo_ns_prefix[i]);
        if (rc < 0 || (size_t)rc >= sizeof decl)
            return kv_err_set(c->err, KV_EINTERNAL, "namespace prefix too long");
        rc = write_attr(c, decl, kv__memo_ns_uri[i]);
        if (rc < 0)
            return rc;
    }
    rc = write_attr(c, "memoVersion", msg->memo_version);
    if (rc < 0)
        return rc;
    if (c->version == 11)
        sch = msg->memo_sch_version ? msg->memo_sch_version : "1.1.0";
    else if (c->version < 12)
        sch = msg->memo_sch_version; /* 1.0 or unknown: keep what is there */
    if (sch) {
        rc = write_attr(c, "memoSchVersion", sch);
        if (rc < 0)
            return rc;
    }
    if (xmlTextWriterStartElement(c->w, (const xmlChar *)"memo:MessageHeader") < 0)
        return xml_fail(c, "MessageHeader");
    rc = write_obj(c, &kv__memo_t_header, &msg->header, "/MessageHeader");
    if (rc < 0)
        return rc;
    if (xmlTextWriterEndElement(c->w) < 0)
        return xml_fail(c, "MessageHeader");
    if (msg->body) {
        if (xmlTextWriterStartElement(c->w, (const xmlChar *)"memo:MessageBody") < 0)
            return xml_fail(c, "MessageBody");
        rc = write_obj(c, &kv__memo_t_body, msg->body, "/MessageBody");
        if (rc < 0)
            return rc;
        if (xmlTextWriterEndElement(c->w) < 0)
            return xml_fail(c, "MessageBody");
    }
    if (xmlTextWriterEndElement(c->w) < 0 ||
        xmlTextWriterWriteRaw(c->w, (const xmlChar *)"\n") < 0 ||
        xmlTextWriterFlush(c->w) < 0)
        return xml_fail(c, "Message");
    return 0;
}

int kv_memo_write(const struct kv_memo_message *msg, unsigned flags, struct kv_buf *out,
                  struct kv_err *err)
{
    struct wctx c;
    xmlOutputBufferPtr ob;
    size_t saved = out->len;
    xmlStructuredErrorFunc prev_handler;
    void *prev_ctx;
    int rc;

    memset(&c, 0, sizeof c);
    c.out = out;
    c.err = err;
    c.strict = !(flags & KV_MEMO_WRITE_LENIENT);
    c.version = kv_memo_version_code(msg->memo_version);
    if (!msg->memo_version || (c.strict && c.version < 10))
        return kv_err_set(err, KV_EINVAL, "memoVersion %s%s%s is not a MeMo version",
                          msg->memo_version ? "\"" : "",
                          msg->memo_version ? msg->memo_version : "(missing)",
                          msg->memo_version ? "\"" : "");
    rc = kv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (rc < 0)
        return kv_err_set(err, rc, "XML output exceeds %zu bytes", out->max);
    ob = xmlOutputBufferCreateIO(io_write, io_close, &c, NULL);
    if (!ob) {
        rc = kv_err_set(err, KV_ENOMEM, "cannot create the XML output buffer");
        goto out;
    }
    c.w = xmlNewTextWriter(ob); /* takes ownership of ob */
    if (!c.w) {
        xmlOutputBufferClose(ob);
        rc = kv_err_set(err, KV_ENOMEM, "cannot create the XML writer");
        goto out;
    }
    prev_handler = xmlStructuredError; /* thread-local in libxml2 */
    prev_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, quiet);
    rc = write_message(&c, msg);
    xmlFreeTextWriter(c.w);
    xmlSetStructuredErrorFunc(prev_ctx, prev_handler);
    if (rc == 0 && c.io_rc < 0)
        rc = kv_err_set(err, c.io_rc, "XML output exceeds %zu bytes", out->max);
out:
    if (rc < 0) {
        out->len = saved;
        if (out->cap)
            out->buf[saved] = '\0';
    }
    return rc;
}
