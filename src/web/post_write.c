/* SPDX-License-Identifier: MIT
 *
 * post_write.c: writing a letter to an authority from the mailbox at /post/ (routes in
 * kv_web_post_write_routes below, each with its access key for identity/authz.c):
 *
 *   GET  /post/skriv?q=TEXT         find a contact point: name or search words, only points
 *                                   open to this kind of writer (citizen for a CPR mailbox,
 *                                   company for a CVR one), hub/contact_points.h
 *   GET  /post/skriv/{point}        the letter form with the point's limits (attachments,
 *                                   MB, file types)
 *   POST /post/skriv/{point}        multipart/form-data: csrf, emne, tekst, fil (files),
 *                                   kladde (a draft being edited), behold (its files kept),
 *                                   handling=send|kladde: send it, or save it as a draft
 *   GET  /post/skriv.js             the optional check of file sizes, count and types before
 *                                   the form is submitted (the pages work without it)
 *   /post/kladder...                the drafts (post_drafts.c)
 *
 * Limits are refused before upload where possible: the form shows them (and skriv.js checks
 * them in the browser); the request gate calls kv_web_post_write_admit, which refuses a POST
 * whose Content-Length is larger than any letter within the point's limit can be with a 413
 * page that names the limit, before one body byte is read; the handler checks the exact
 * limits (count, decoded bytes, file types) on what arrived and refuses with the form and
 * the entered subject and text kept. A letter is sent through hub/mailbox_send.h
 * (kv_mbox_send_new), so it is a MeMo letter with events and routing like any other; a
 * helper with read-write access writes in the owner's name with MeMo Sender/Representative
 * naming the helper. Nothing is stored when a letter is refused.
 */
#include "web/post_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/multipart.h"
#include "hub/contact_points.h"
#include "hub/hub.h"
#include "hub/mailbox_drafts.h"
#include "hub/mailbox_send.h"
#include "identity/authz.h"
#include "memo/model.h"
#include "store/store.h"
#include "util/log.h"
#include "util/problem.h"
#include "web/i18n.h"
#include "web/post.h"
#include "web/who.h"

#define PAGE KV_ROUTE_PAGE
/* parts of one form: a point's most attachments, as many kept draft files, the fields */
#define PARTS_MAX (2 * KV_CP_ATTACH_MAX + 16)
#define FORM_SLACK (256 * 1024) /* part headers and small fields of a form, bytes */

static int write_search(struct kv_http_req *req, struct kv_http_resp *resp);
static int write_form(struct kv_http_req *req, struct kv_http_resp *resp);
static int write_send(struct kv_http_req *req, struct kv_http_resp *resp);
static int write_js(struct kv_http_req *req, struct kv_http_resp *resp);

const struct kv_http_route kv_web_post_write_routes[] = {
    {"GET", "/post/skriv", write_search, "web_post_write", PAGE, KV_ACCESS_MAILBOX_WRITE},
    {"GET", "/post/skriv.js", write_js, "web_post_write_js", PAGE, KV_ACCESS_PUBLIC},
    {"GET", "/post/skriv/{id}", write_form, "web_post_write_form", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {"POST", "/post/skriv/{id}", write_send, "web_post_write_send", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {"GET", "/post/kladder", kv__post_drafts, "web_post_drafts", PAGE, KV_ACCESS_MAILBOX_WRITE},
    {"GET", "/post/kladder/{id}", kv__post_draft_open, "web_post_draft", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {"POST", "/post/kladder/{id}/slet", kv__post_draft_delete, "web_post_draft_delete", PAGE,
     KV_ACCESS_MAILBOX_WRITE},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* Files (decoded bytes, the text included) a letter to point p may carry. */
static uint64_t files_max(const struct kv_mbox_point *p)
{
    return p->max_mb > 0 ? (uint64_t)p->max_mb * KV_MBOX_SEND_MB : KV_MBOX_SEND_DECODED_MAX;
}

/* The largest request a form within point p's limit can be: the files, the text (a browser
 * may send each line break as CRLF) and the form's other parts. */
static uint64_t request_max(const struct kv_mbox_point *p)
{
    return files_max(p) + 2 * (uint64_t)KV_MBOX_SEND_TEXT_MAX + FORM_SLACK;
}

/* ---- the form ---- */

/* The form's field a refusal is about: the sentence is shown next to it too (DKFDS form
 * error: the group marked, the message above the input, the input aria-invalid and described
 * by it), and the summary above the form links to it. */
enum refusal_field { FIELD_NONE, FIELD_LABEL, FIELD_TEXT, FIELD_FILES };

/* Why a letter was refused, shown above the form: a sentence (msgid), optionally followed by
 * a number with its unit, or by a text (a file name) and the allowed types. */
struct refusal {
    enum refusal_field field;
    int status;
    const char *msgid;
    int64_t n;          /* > 0: shown after msgid */
    int mb;             /* n is MB: "n MB (n*10^6 bytes)" */
    const char *name;   /* a file name, or NULL */
    int types;          /* name the allowed file types */
    const char *detail; /* the hub's own sentence (English, as the API says it), or NULL */
};

/* The extensions as a reader sees them: ".pdf, .txt, ..." into out (n bytes). */
static void exts_shown(const char *exts, char *out, size_t n)
{
    size_t o = 0;

    for (; *exts && o + 3 < n; exts++) {
        out[o++] = *exts;
        if (*exts == ',')
            out[o++] = ' ';
    }
    out[o] = '\0';
}

static void limits_text(struct kv_html *h, const struct kv_mbox_point *p, const char *exts)
{
    kv_html(h, "<ul class=\"write-limits\" id=\"write-limits\">");
    kv_html(h, "<li>%m %D</li>", N_("Attachments, at most:"), p->max_att);
    kv_html(h, "<li>%m %D MB (%D %m)</li>", N_("Files and text together, at most:"),
            (int64_t)(files_max(p) / KV_MBOX_SEND_MB), (int64_t)files_max(p), N_("bytes"));
    kv_html(h, "<li>%m %t</li></ul>\n", N_("File types:"), exts);
}

/* The refusal's sentence: msgid and what follows it. */
static void refusal_sentence(struct kv_html *h, const struct refusal *r, const char *exts)
{
    kv_html(h, "%m", r->msgid);
    if (r->n > 0 && r->mb)
        kv_html(h, " %D MB (%D %m).", r->n, r->n * KV_MBOX_SEND_MB, N_("bytes"));
    else if (r->n > 0)
        kv_html(h, " %D.", r->n);
    if (r->name)
        kv_html(h, " <strong>%t</strong>", r->name);
    if (r->types)
        kv_html(h, " %m %t", N_("Allowed file types:"), exts);
    if (r->detail)
        kv_html(h, " %t", r->detail);
}

static const char *const FIELD_ID[] = {"", "write-label", "write-text", "write-files"};

/* The error summary above the form; a refusal about a field links to it. */
static void refusal_alert(struct kv_html *h, const struct refusal *r, const char *exts)
{
    kv_html(h, "<div class=\"alert alert-error\" role=\"alert\" id=\"write-error\">"
               "<div class=\"alert-body\"><p class=\"alert-heading\">%m</p><p class=\"alert-text\">",
            N_("The letter was not sent"));
    if (r->field != FIELD_NONE)
        kv_html(h, "<a href=\"#%a\">", FIELD_ID[r->field]);
    refusal_sentence(h, r, exts);
    if (r->field != FIELD_NONE)
        kv_html(h, "</a>");
    kv_html(h, "</p><p class=\"alert-text\">%m</p></div></div>\n",
            N_("Nothing was sent or saved."));
}

/* Opens the form group of field f -- label, hint (a msgid, or NULL; id "<field>-hint") --
 * with " form-error" and the message when r is about f. */
static void group_open(struct kv_html *h, const struct refusal *r, enum refusal_field f,
                       const char *label, const char *hint, const char *exts)
{
    int bad = r && r->field == f;

    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"%a\">%m</label>",
            bad ? " form-error" : "", FIELD_ID[f], label);
    if (hint)
        kv_html(h, "<span class=\"form-hint\" id=\"%a-hint\">%m</span>", FIELD_ID[f], hint);
    if (bad) {
        kv_html(h, "<span class=\"form-error-message\" id=\"%a-error\"><span class=\"sr-only\">"
                   "%m: </span>",
                FIELD_ID[f], N_("Error"));
        refusal_sentence(h, r, exts);
        kv_html(h, "</span>");
    }
}

/* Closes the input of field f (whose other attributes are written): when r is about f,
 * aria-invalid and the message's id among what describes it (describedby: the input's other
 * describing ids, or ""). */
static void input_close(struct kv_html *h, const struct refusal *r, enum refusal_field f,
                        const char *describedby)
{
    int bad = r && r->field == f;

    if (bad || describedby[0])
        kv_html(h, " aria-describedby=\"%a%a%a%a\"", describedby,
                bad && describedby[0] ? " " : "", bad ? FIELD_ID[f] : "", bad ? "-error" : "");
    if (bad)
        kv_html(h, " aria-invalid=\"true\"");
    kv_html(h, ">");
}

/* The letter form to point p. label/text prefill it (NULL: empty); draft is the draft being
 * edited (NULL: a new letter); r the refusal to show (NULL: none); gate 1 when the body was
 * never read (the text is not here to keep). */
static void form_page(struct kv__post *pp, const struct kv_mbox_point *p, const char *label,
                      const char *text, const struct kv_mbox_saved_draft *draft,
                      const struct refusal *r, int gate)
{
    struct kv_html *h = &pp->ctx.h;
    char exts[256], shown[384];
    size_t i;

    kv_memo_file_ext_list(exts, sizeof(exts));
    exts_shown(exts, shown, sizeof(shown));
    kv_html(h, "<p><a href=\"%u\" class=\"back-link\">%m</a></p>\n",
            draft ? "/post/kladder" : "/post/skriv",
            draft ? N_("Back to drafts") : N_("Choose another recipient"));
    kv_html(h, "<h1>%m</h1>\n<p>%m <strong>%t</strong> – %t</p>\n",
            draft ? N_("Draft") : N_("Write a letter"), N_("To:"), p->org_label, p->name);
    if (pp->owner.rep_cpr[0])
        kv_html(h, "<p>%m</p>\n",
                N_("You write on behalf of the mailbox's owner; the authority sees your name "
                   "and CPR number as the writer."));
    if (r) {
        refusal_alert(h, r, shown);
        if (gate && draft)
            kv_html(h, "<p>%m</p>\n",
                    N_("The letter was refused before it was received: the draft is shown as "
                       "it was last saved. Remove attachments until they fit."));
        else if (gate)
            kv_html(h, "<p>%m</p>\n",
                    N_("The letter was refused before it was received, so what you wrote is "
                       "not here: go back in your browser to get it back, then remove "
                       "attachments until they fit."));
        else
            kv_html(h, "<p>%m</p>\n",
                    N_("Your subject and text are kept below; choose the attachments again."));
    }
    kv_html(h, "<h2>%m</h2>\n", N_("What this recipient accepts"));
    limits_text(h, p, shown);
    kv_html(h,
            "<form method=\"post\" action=\"/post/skriv/%q%t%q\" enctype=\"multipart/form-data\" "
            "id=\"write-form\" data-max-files=\"%D\" data-max-bytes=\"%D\" data-accept=\"%a\" "
            "data-msg-count=\"%a\" data-msg-size=\"%a\" data-msg-type=\"%a\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"%a\">",
            p->id, draft ? "?kladde=" : "", draft ? draft->id : "", p->max_att,
            (int64_t)files_max(p), exts,
            kv_i18n_get(pp->ctx.lang, N_("Too many attachments. This recipient accepts at most")),
            kv_i18n_get(pp->ctx.lang,
                        N_("The attachments are too large. This recipient accepts at most")),
            kv_i18n_get(pp->ctx.lang, N_("This file type cannot be sent:")), pp->ctx.sess.csrf);
    if (draft)
        kv_html(h, "<input type=\"hidden\" name=\"kladde\" value=\"%a\">", draft->id);
    group_open(h, r, FIELD_LABEL, N_("Subject"), NULL, shown);
    kv_html(h,
            "<input class=\"form-input\" type=\"text\" id=\"write-label\" name=\"emne\" "
            "maxlength=\"256\" required value=\"%a\"",
            label ? label : "");
    input_close(h, r, FIELD_LABEL, "");
    kv_html(h, "</div>");
    group_open(h, r, FIELD_TEXT, N_("Your letter"), NULL, shown);
    kv_html(h, "<textarea class=\"form-input\" id=\"write-text\" name=\"tekst\" rows=\"12\" "
               "required");
    input_close(h, r, FIELD_TEXT, "");
    kv_html(h, "%t</textarea></div>\n", text ? text : "");
    if (draft && draft->n_files) {
        kv_html(h, "<fieldset><legend class=\"form-label\">%m</legend>",
                N_("Attachments saved with the draft"));
        for (i = 0; i < draft->n_files; i++)
            kv_html(h,
                    "<div class=\"form-group-checkbox\"><input type=\"checkbox\" "
                    "class=\"form-checkbox\" id=\"keep-%d\" name=\"behold\" value=\"%d\" "
                    "data-size=\"%D\" checked><label for=\"keep-%d\">%t (%D %m)</label></div>",
                    (int)i + 1, (int)i + 1, (int64_t)draft->files[i].len, (int)i + 1,
                    draft->files[i].filename, (int64_t)draft->files[i].len, N_("bytes"));
        kv_html(h, "</fieldset>\n");
    }
    group_open(h, r, FIELD_FILES, N_("Attachments"),
               N_("You can choose several files; the limits are above."), shown);
    kv_html(h,
            "<input class=\"form-input\" type=\"file\" id=\"write-files\" name=\"fil\" multiple "
            "accept=\"%a\"",
            exts);
    input_close(h, r, FIELD_FILES, "write-files-hint write-limits");
    kv_html(h,
            "</div>"
            "<div id=\"write-check\" role=\"alert\" aria-live=\"assertive\"></div>"
            "<button class=\"button button-primary\" type=\"submit\" name=\"handling\" "
            "value=\"send\">%m</button> "
            "<button class=\"button button-secondary\" type=\"submit\" name=\"handling\" "
            "value=\"kladde\" formnovalidate>%m</button></form>\n"
            "<script src=\"/post/skriv.js\" defer></script>\n",
            N_("Send letter"), N_("Save as draft"));
    kv_web_page_end(&pp->ctx, r ? r->status : 200, draft ? N_("Draft") : N_("Write a letter"));
}

/* Loads the path's point for pp's owner; 404 page when it is not open to them. */
static int point_of(struct kv__post *pp, const char *id, struct kv_mbox_point *p)
{
    struct kv_err err = {0, ""};
    int rc = kv_mbox_send_point(pp->db, &pp->owner, id, p, &err);

    return kv__post_found(pp, rc, &err);
}

int kv__post_write_form_page(struct kv__post *pp, const char *point_id, const char *label,
                             const char *text, const struct kv_mbox_saved_draft *draft)
{
    struct kv_mbox_point p;

    if (!point_of(pp, point_id, &p))
        return 0;
    form_page(pp, &p, label, text, draft, NULL, 0);
    return 1;
}

/* GET /post/skriv/{point} */
static int write_form(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;

    if (kv__post_begin(&pp, req, resp, 0))
        kv__post_write_form_page(&pp, req->params[0], NULL, NULL, NULL);
    kv__post_end(&pp);
    return 0;
}

/* ---- finding a contact point ---- */

/* GET /post/skriv?q= */
static int write_search(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_html *h;
    struct kv_err err = {0, ""};
    const char *q = kv_http_req_query(req, "q");
    json_t *list = NULL, *it;
    size_t i;
    int rc;

    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    h = &pp.ctx.h;
    rc = kv_contact_points_search(pp.db, strcmp(pp.owner.type, "CPR") == 0 ? "citizen" : "company",
                                  NULL, q && *q ? q : NULL, NULL, &list, &err);
    if (rc == KV_EINVAL) {
        kv_web_error(&pp.ctx, 400);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    kv_html(h, "<p><a href=\"/post/\" class=\"back-link\">%m</a></p>\n", N_("Back to the post"));
    kv_html(h, "<h1>%m</h1>\n<p>%m</p>\n", N_("Write a letter"),
            N_("Find the authority and the place there (contact point) you want to write to."));
    kv_html(h,
            "<form method=\"get\" action=\"/post/skriv\" role=\"search\" class=\"mb-5\">"
            "<div class=\"form-group\"><label class=\"form-label\" for=\"write-q\">%m</label>"
            "<span class=\"form-hint\" id=\"write-q-hint\">%m</span>"
            "<input class=\"form-input\" type=\"search\" id=\"write-q\" name=\"q\" value=\"%a\" "
            "maxlength=\"128\" aria-describedby=\"write-q-hint\"></div>"
            "<button class=\"button button-secondary\" type=\"submit\">%m</button></form>\n",
            N_("Search for a recipient"),
            N_("A name or a word, e.g. the authority, the subject or the kind of case"),
            q ? q : "", N_("Search"));
    if (json_array_size(list) == 0) {
        kv_html(h, "<p>%m</p>\n", N_("No contact point matches the search."));
    } else {
        kv_html(h,
                "<div class=\"table--responsive-scroll\"><table class=\"table table--zebra\">"
                "<caption>%m</caption><thead><tr><th scope=\"col\">%m</th>"
                "<th scope=\"col\">%m</th><th scope=\"col\">%m</th><th scope=\"col\">%m</th>"
                "</tr></thead><tbody>\n",
                N_("Recipients"), N_("Authority"), N_("Contact point"), N_("Description"),
                N_("Limits"));
        json_array_foreach(list, i, it)
        {
            const char *desc = json_string_value(json_object_get(it, "description"));

            kv_html(h,
                    "<tr><td>%t</td><td><a href=\"/post/skriv/%q\">%t</a></td><td>%t</td>"
                    "<td>%D %m, %D MB</td></tr>\n",
                    json_string_value(json_object_get(it, "organisationName")),
                    json_string_value(json_object_get(it, "id")),
                    json_string_value(json_object_get(it, "name")), desc ? desc : "",
                    (int64_t)json_integer_value(json_object_get(it, "allowedNumberOfAttachments")),
                    N_("attachments"),
                    (int64_t)json_integer_value(json_object_get(it, "memoSizeThresholdMB")));
        }
        kv_html(h, "</tbody></table></div>\n");
    }
    kv_web_page_end(&pp.ctx, 200, N_("Write a letter"));
out:
    json_decref(list);
    kv__post_end(&pp);
    return 0;
}

/* ---- refusing by Content-Length, before the body is read ---- */

int kv_web_post_write_admit(struct kv_http_req *req, struct kv_http_resp *resp,
                            const struct kv_principal *who)
{
    struct kv__post pp;
    struct kv_mbox_point p;
    struct kv_err err = {0, ""};
    struct kv_mbox_saved_draft draft;
    struct refusal r;
    const char *cl, *q;
    uint64_t size = 0;
    size_t i;
    int rc;

    memset(&draft, 0, sizeof(draft));
    if (!req->route || strcmp(req->route->name, "web_post_write_send") != 0)
        return 0;
    cl = kv_http_req_header(req, "Content-Length");
    if (!cl || !*cl || strlen(cl) > 19)
        return 0; /* chunked: bounded by max_body, then checked by the handler */
    for (i = 0; cl[i]; i++) {
        if (cl[i] < '0' || cl[i] > '9')
            return 0; /* refused by the server's framing checks */
        size = size * 10 + (uint64_t)(cl[i] - '0');
    }
    memset(&pp, 0, sizeof(pp));
    if (kv__post_owner(who, &pp.owner) < 0)
        return 0; /* the handler answers */
    if (kv_db_acquire(req->hub->store, &pp.db, &err) < 0) {
        kv_log(KV_LOG_ERROR, "%s: %s", req->request_id, err.msg);
        return 0; /* the handler will meet the same and answer 500 */
    }
    rc = kv_mbox_send_point(pp.db, &pp.owner, req->params[0], &p, &err);
    if (rc < 0 || size <= request_max(&p)) {
        kv_db_release(pp.db);
        return 0; /* an unknown point is the handler's 404 */
    }
    kv_web_ctx_init(&pp.ctx, req, resp);
    /* a draft being edited (its id also in the form's query): shown again as last saved */
    q = kv_http_req_query(req, "kladde");
    if (q && *q && (kv_mbox_draft_load(pp.db, &pp.owner, q, 0, &draft, &err) < 0 ||
                    strcmp(draft.point_id, p.id) != 0))
        kv_mbox_saved_draft_release(&draft);
    memset(&r, 0, sizeof(r));
    r.status = 413;
    r.field = FIELD_FILES;
    r.msgid = N_("The attachments are too large. This recipient accepts at most");
    r.n = (int64_t)(files_max(&p) / KV_MBOX_SEND_MB);
    r.mb = 1;
    kv_log(KV_LOG_INFO, "%s: letter to contact point %s refused: Content-Length %llu > %llu",
           req->request_id, p.id, (unsigned long long)size,
           (unsigned long long)request_max(&p));
    form_page(&pp, &p, draft.id[0] ? draft.label : NULL, draft.id[0] ? draft.text : NULL,
              draft.id[0] ? &draft : NULL, &r, 1);
    kv_mbox_saved_draft_release(&draft);
    kv__post_end(&pp);
    return KV_ETOOBIG;
}

/* ---- sending or saving ---- */

/* The fields of a posted form. */
struct posted {
    struct kv_http_part parts[PARTS_MAX];
    size_t n_parts;
    char *label, *text;             /* owned copies, NUL-terminated */
    size_t text_len;
    char action[16];                /* "send" | "kladde" */
    char draft_id[40];              /* "" for a new letter */
    struct kv_mbox_attachment att[PARTS_MAX];
    size_t n_att;
    uint64_t bytes;                 /* decoded file bytes, the text included */
    unsigned char kept_seen[PARTS_MAX]; /* draft files already kept (behold) */
};

/* A copy of part pt's bytes as text with each CRLF (a browser's line break in a form) as LF,
 * as the letter stores it and as skriv.js counts it; NULL when it holds a NUL. */
static char *part_text(const struct kv_http_part *pt)
{
    size_t i, o = 0;
    char *s;

    if (memchr(pt->data, '\0', pt->len))
        return NULL;
    s = malloc(pt->len + 1);
    if (!s)
        return NULL;
    for (i = 0; i < pt->len; i++)
        if (!(pt->data[i] == '\r' && i + 1 < pt->len && pt->data[i + 1] == '\n'))
            s[o++] = pt->data[i];
    s[o] = '\0';
    return s;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The file name without a path some browsers send ("C:\x\a.pdf"). */
static const char *base_name(const char *f)
{
    const char *a = strrchr(f, '/'), *b = strrchr(f, '\\');

    if (b && (!a || b > a))
        a = b;
    return a ? a + 1 : f;
}

/* Reads the form: 0, or the refusal's status with r set (400 for a malformed form). */
static int read_form(struct posted *f, const struct kv_mbox_saved_draft *kept,
                     struct refusal *r)
{
    size_t i;

    for (i = 0; i < f->n_parts; i++) {
        const struct kv_http_part *pt = &f->parts[i];

        if (strcmp(pt->name, "emne") == 0 && !f->label) {
            f->label = part_text(pt);
        } else if (strcmp(pt->name, "tekst") == 0 && !f->text) {
            f->text = part_text(pt);
            f->text_len = f->text ? strlen(f->text) : 0;
        } else if (strcmp(pt->name, "handling") == 0 && pt->len < sizeof(f->action)) {
            memcpy(f->action, pt->data, pt->len);
            f->action[pt->len] = '\0';
        } else if (strcmp(pt->name, "behold") == 0 && kept && pt->len > 0 && pt->len < 4) {
            char num[4];
            long n;

            memcpy(num, pt->data, pt->len);
            num[pt->len] = '\0';
            n = strtol(num, NULL, 10);
            /* each kept file once, however often it is named */
            if (n >= 1 && n <= PARTS_MAX && (size_t)n <= kept->n_files &&
                !f->kept_seen[n - 1]) {
                const struct kv_mbox_draft_file *df = &kept->files[n - 1];
                struct kv_mbox_attachment *a = &f->att[f->n_att++];

                f->kept_seen[n - 1] = 1;
                a->filename = df->filename;
                a->mime = df->mime;
                a->data = df->data;
                a->len = df->len;
                f->bytes += df->len;
            }
        } else if (strcmp(pt->name, "fil") == 0 && pt->is_file) {
            struct kv_mbox_attachment *a;
            const char *name = base_name(pt->filename);

            if (!name[0] && pt->len == 0)
                continue; /* the file field left empty */
            if (!name[0] || strlen(name) > KV_MBOX_SEND_FILENAME_MAX ||
                !kv_memo_file_ext_allowed(name)) {
                r->status = 400;
                r->field = FIELD_FILES;
                r->msgid = N_("This file type cannot be sent:");
                r->name = name[0] ? name : "?";
                r->types = 1;
                return r->status;
            }
            a = &f->att[f->n_att++];
            a->filename = name;
            a->mime = kv_memo_guess_mime(name);
            a->data = (const unsigned char *)pt->data;
            a->len = pt->len;
            f->bytes += pt->len;
        }
    }
    if (!f->label || !f->text) {
        r->status = 400;
        r->msgid = N_("The form is not complete. Write a subject and a text.");
        return r->status;
    }
    f->bytes += f->text_len;
    return 0;
}

/* The point's limits on what was read: 0, or the refusal's status with r set. */
static int check_form(const struct kv_mbox_point *p, const struct posted *f, int sending,
                      struct refusal *r)
{
    if (f->text_len > KV_MBOX_SEND_TEXT_MAX) {
        r->status = 413;
        r->field = FIELD_TEXT;
        r->msgid = N_("The text is too long. Its limit in bytes is");
        r->n = KV_MBOX_SEND_TEXT_MAX;
        return r->status;
    }
    if (utf8_chars(f->label) > KV_MBOX_SEND_LABEL_MAX) {
        r->status = 400;
        r->field = FIELD_LABEL;
        r->msgid = N_("The subject is too long. Its limit in characters is");
        r->n = KV_MBOX_SEND_LABEL_MAX;
        return r->status;
    }
    if (sending && (!f->label[0] || !f->text[0])) {
        r->status = 400;
        r->msgid = N_("The form is not complete. Write a subject and a text.");
        return r->status;
    }
    if ((int64_t)f->n_att > p->max_att) {
        r->status = 400;
        r->field = FIELD_FILES;
        r->msgid = N_("Too many attachments. This recipient accepts at most");
        r->n = p->max_att;
        return r->status;
    }
    if (f->bytes > files_max(p)) {
        r->status = 413;
        r->field = FIELD_FILES;
        r->msgid = N_("The attachments are too large. This recipient accepts at most");
        r->n = (int64_t)(files_max(p) / KV_MBOX_SEND_MB);
        r->mb = 1;
        return r->status;
    }
    return 0;
}

/* The status page of a refusal by the hub (kind KV_E*). */
static int hub_status(int kind)
{
    switch (kind) {
    case KV_ETOOBIG:
        return 413;
    case KV_EPERM:
        return 403;
    case KV_ENOTFOUND:
        return 404;
    case KV_ECONFLICT:
        return 409;
    default:
        return 400;
    }
}

/* POST /post/skriv/{point} */
static int write_send(struct kv_http_req *req, struct kv_http_resp *resp)
{
    struct kv__post pp;
    struct kv_mbox_point p;
    struct kv_mbox_saved_draft kept;
    struct kv_mbox_draft d;
    struct kv_mbox_sent sent;
    struct kv_problem refusal;
    struct kv_err err = {0, ""};
    struct refusal r;
    struct posted *f = NULL;
    const char *ct = kv_http_req_header(req, "Content-Type");
    char csrf[96], back[96], id[37];
    size_t i;
    int rc, st;

    memset(&kept, 0, sizeof(kept));
    memset(&sent, 0, sizeof(sent));
    memset(&r, 0, sizeof(r));
    kv_problem_init(&refusal);
    if (!kv__post_begin(&pp, req, resp, 0))
        goto out;
    f = calloc(1, sizeof(*f));
    if (!f) {
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    /* the csrf token first: nothing is looked at for a forged form */
    csrf[0] = '\0';
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0 ||
        kv_http_multipart_parts(ct, req->body, req->body_len, f->parts, PARTS_MAX, &f->n_parts,
                                &err) < 0)
        f->n_parts = 0; /* not a form of ours: the csrf check below cannot pass */
    for (i = 0; i < f->n_parts; i++)
        if (strcmp(f->parts[i].name, "csrf") == 0 && f->parts[i].len < sizeof(csrf)) {
            memcpy(csrf, f->parts[i].data, f->parts[i].len);
            csrf[f->parts[i].len] = '\0';
            break;
        }
    if (!csrf[0] || !kv_web_csrf_ok(&pp.ctx.sess, csrf)) {
        kv_web_error(&pp.ctx, 403);
        goto out;
    }
    if (!point_of(&pp, req->params[0], &p))
        goto out;
    for (i = 0; i < f->n_parts; i++)
        if (strcmp(f->parts[i].name, "kladde") == 0 && f->parts[i].len > 0 &&
            f->parts[i].len < sizeof(f->draft_id)) {
            memcpy(f->draft_id, f->parts[i].data, f->parts[i].len);
            f->draft_id[f->parts[i].len] = '\0';
        }
    if (f->draft_id[0]) {
        /* editing a draft: it must be this mailbox's, to this point */
        rc = kv_mbox_draft_load(pp.db, &pp.owner, f->draft_id, 1, &kept, &err);
        if (rc == 0 && strcmp(kept.point_id, p.id) != 0)
            rc = KV_ENOTFOUND;
        if (!kv__post_found(&pp, rc, &err))
            goto out;
    }
    st = read_form(f, f->draft_id[0] ? &kept : NULL, &r);
    if (st == 0)
        st = check_form(&p, f, strcmp(f->action, "kladde") != 0, &r);
    if (st != 0) {
        form_page(&pp, &p, f->label, f->text, f->draft_id[0] ? &kept : NULL, &r, 0);
        goto out;
    }
    memset(&d, 0, sizeof(d));
    d.label = f->label;
    d.text = f->text;
    d.text_len = f->text_len;
    d.att = f->att;
    d.n_att = f->n_att;
    if (strcmp(f->action, "kladde") == 0) {
        rc = kv_mbox_draft_save(pp.db, &pp.owner, f->draft_id, p.id, &d, id, &err);
        if (rc == KV_ENOTFOUND) {
            kv_web_error(&pp.ctx, 404);
            goto out;
        }
        if (rc == KV_EPERM) {
            kv_web_error(&pp.ctx, 403);
            goto out;
        }
        if (rc < 0) {
            kv_log(KV_LOG_ERROR, "%s: draft not saved: %s", req->request_id, err.msg);
            kv_web_error(&pp.ctx, 500);
            goto out;
        }
        snprintf(back, sizeof(back), "/post/kladder?gemt=%s", id);
        kv_web_redirect(&pp.ctx, back);
        goto out;
    }
    rc = kv_mbox_send_new(req->hub, &pp.owner, p.id, &d, &sent, &refusal, &err);
    if (rc < 0 && refusal.kind) {
        r.status = hub_status(refusal.kind);
        r.msgid = N_("The recipient's rules refused it:");
        r.detail = refusal.message;
        form_page(&pp, &p, f->label, f->text, f->draft_id[0] ? &kept : NULL, &r, 0);
        goto out;
    }
    if (rc < 0) {
        kv_log(KV_LOG_ERROR, "%s: letter not sent: %s", req->request_id, err.msg);
        kv_web_error(&pp.ctx, 500);
        goto out;
    }
    if (f->draft_id[0] && kv_mbox_draft_sent(pp.db, &pp.owner, kept.id, sent.uuid, &err) < 0)
        kv_log(KV_LOG_WARN, "%s: letter %s sent, its draft %s stays: %s", req->request_id,
               sent.uuid, kept.id, err.msg);
    snprintf(back, sizeof(back), "/post/brev/%s", sent.uuid);
    kv_web_redirect(&pp.ctx, back);
out:
    if (f) {
        free(f->label);
        free(f->text);
        free(f);
    }
    kv_mbox_saved_draft_release(&kept);
    kv_mbox_sent_release(&sent);
    kv_problem_release(&refusal);
    kv__post_end(&pp);
    return 0;
}

/* ---- the optional check in the browser ---- */

static const char WRITE_JS[] =
    "/* kuvert: checks a letter's attachments against the contact point's limits before the\n"
    " * form is sent (the server checks them again; the form works without this). */\n"
    "(function () {\n"
    "  var form = document.getElementById('write-form');\n"
    "  if (!form) return;\n"
    "  var input = document.getElementById('write-files');\n"
    "  var out = document.getElementById('write-check');\n"
    "  var maxFiles = parseInt(form.getAttribute('data-max-files'), 10);\n"
    "  var maxBytes = parseInt(form.getAttribute('data-max-bytes'), 10);\n"
    "  var accept = form.getAttribute('data-accept').split(',');\n"
    "  function problem() {\n"
    "    var files = input.files ? Array.prototype.slice.call(input.files) : [];\n"
    "    var kept = form.querySelectorAll('input[name=behold]:checked');\n"
    "    var n = files.length + kept.length, bytes = 0, i;\n"
    "    var text = document.getElementById('write-text');\n"
    "    if (text) bytes += new Blob([text.value]).size;\n"
    "    for (i = 0; i < kept.length; i++) bytes += parseInt(kept[i].getAttribute('data-size'), 10);\n"
    "    for (i = 0; i < files.length; i++) {\n"
    "      var name = files[i].name.toLowerCase(), dot = name.lastIndexOf('.');\n"
    "      if (dot < 0 || accept.indexOf(name.slice(dot)) < 0)\n"
    "        return form.getAttribute('data-msg-type') + ' ' + files[i].name;\n"
    "      bytes += files[i].size;\n"
    "    }\n"
    "    if (n > maxFiles) return form.getAttribute('data-msg-count') + ' ' + maxFiles + '.';\n"
    "    if (bytes > maxBytes)\n"
    "      return form.getAttribute('data-msg-size') + ' ' + Math.floor(maxBytes / 1000000) +\n"
    "        ' MB (' + maxBytes + ' bytes).';\n"
    "    return '';\n"
    "  }\n"
    "  function show(msg) {\n"
    "    out.textContent = msg;\n"
    "    out.className = msg ? 'alert alert-error' : '';\n"
    "    input.setAttribute('aria-invalid', msg ? 'true' : 'false');\n"
    "  }\n"
    "  input.addEventListener('change', function () { show(problem()); });\n"
    "  form.addEventListener('submit', function (e) {\n"
    "    var msg = problem();\n"
    "    show(msg);\n"
    "    if (msg) { e.preventDefault(); input.focus(); }\n"
    "  });\n"
    "})();\n";

/* GET /post/skriv.js */
static int write_js(struct kv_http_req *req, struct kv_http_resp *resp)
{
    (void)req;
    kv_http_resp_bytes(resp, 200, "text/javascript; charset=utf-8", WRITE_JS,
                       sizeof(WRITE_JS) - 1);
    kv_http_resp_header(resp, "Cache-Control", "no-cache");
    return 0;
}
