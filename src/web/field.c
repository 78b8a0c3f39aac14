/* SPDX-License-Identifier: MIT
 *
 * field.c: a form field in DKFDS's error pattern and a form's error summary (see web.h), the
 * one place that writes that markup for the forms that use it: the group marked form-error,
 * the message above the control (id "<id>-error", "Fejl: " for screen readers), the control
 * described by its hint and its message and marked aria-invalid, and the summary above the
 * form that links each message to its control. Everything dynamic goes through the html
 * builder's placeholders, so the escaping is the builder's.
 */
#include <stdio.h>

#include "web/i18n.h"
#include "web/web.h"

void kv_web_field_open(struct kv_html *h, const char *id, const char *label_msgid,
                       const char *hint_msgid, const char *error_msgid)
{
    kv_html(h, "<div class=\"form-group%t\"><label class=\"form-label\" for=\"%a\">%m</label>",
            error_msgid ? " form-error" : "", id, label_msgid);
    if (hint_msgid)
        kv_html(h, "<span class=\"form-hint\" id=\"%a-hint\">%m</span>", id, hint_msgid);
    if (error_msgid)
        kv_html(h, "<span class=\"form-error-message\" id=\"%a-error\"><span "
                   "class=\"sr-only\">%m: </span>%m</span>",
                id, N_("Error"), error_msgid);
}

void kv_web_control_end(struct kv_html *h, const char *id, int hint, const char *error_msgid)
{
    char by[160];

    snprintf(by, sizeof(by), "%s%s%s%s%s", hint ? id : "", hint ? "-hint" : "",
             hint && error_msgid ? " " : "", error_msgid ? id : "", error_msgid ? "-error" : "");
    if (by[0])
        kv_html(h, " aria-describedby=\"%a\"", by);
    if (error_msgid)
        kv_html(h, " aria-invalid=\"true\"");
    kv_html(h, ">");
}

void kv_web_error_summary(struct kv_html *h, const char *id, const char *const *ids,
                          const char *const *msgids, size_t n)
{
    size_t i, shown = 0;

    for (i = 0; i < n; i++)
        shown += msgids[i] != NULL;
    if (shown == 0)
        return;
    kv_html(h, "<div class=\"alert alert-error\" role=\"alert\" aria-atomic=\"true\" "
               "data-module=\"error-summary\" id=\"%a\"><div class=\"alert-body\">"
               "<p class=\"alert-heading\">%m</p><ul class=\"alert-text nobullet-list\">",
            id, N_("Correct the errors in the form"));
    for (i = 0; i < n; i++) {
        if (!msgids[i])
            continue;
        if (ids[i])
            kv_html(h, "<li><a href=\"#%a\">%m</a></li>", ids[i], msgids[i]);
        else
            kv_html(h, "<li>%m</li>", msgids[i]);
    }
    kv_html(h, "</ul></div></div>\n");
}
