/* SPDX-License-Identifier: MIT
 *
 * cmd_demo.c: `kuvert demo` seeds a data directory with a small, realistic dataset and prints
 * the credentials it made: authorities with sender systems (CVR 12345678 "Kommunen" is the
 * sender of the official MeMo examples), citizens (CPR 2211771212 is the recipient of the
 * official Minimum example), one EXEMPT citizen with a postal address, one CLOSED mailbox,
 * companies, recipient systems (Kommunen's default one with a contact point "Borgerservice",
 * and a company's own), bearer tokens for the mailbox owners and a few letters sent through the
 * real send pipeline (one delivered now and open for replies for 30 days, one with a value
 * date a week ahead, one from Kommunen two weeks ahead for its RECALL_ADMINISTRATOR to
 * recall, one turned into a print job, one to a company, one from the region to Kommunen's
 * recipient system; they are also in the usage statistics), and employees with different rights in each authority
 * (demo_people.c: one rettighedsadministrator each, a systemadministrator, a
 * borgerservicemedarbejder, ...). Refuses a directory that already has the demo data (tokens
 * cannot be shown twice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/cli.h"
#include "cli/demo_devices.h"
#include "cli/demo_notify.h"
#include "cli/demo_people.h"
#include "hub/contact_points.h"
#include "hub/directory.h"
#include "hub/hub.h"
#include "hub/letters.h"
#include "memo/model.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/str.h"
#include "util/xmalloc.h"

#define XML_MAX (1u << 20)

struct demo_org {
    const char *cvr, *name, *system; /* organisation and its sender system's name */
};

static const struct demo_org ORGS[] = {
    {"12345678", "Kommunen", "Kommunens sagssystem"},
    {"11223344", "Demostyrelsen", "Demostyrelsens udsendelse"},
    {"55667788", "Region Eksempel", "Regionens brevsystem"},
};

struct demo_mailbox {
    const char *type, *id, *name, *status, *address;
};

static const struct demo_mailbox MAILBOXES[] = {
    {"CPR", "2211771212", "Mette Hansen", "REGISTERED", NULL},
    {"CPR", "0101701234", "Jens Jensen", "REGISTERED", NULL},
    {"CPR", "1502851236", "Sofie Nielsen", "REGISTERED", NULL},
    {"CPR", "0503451239", "Karen Poulsen", "EXEMPT", "Hovedgaden 1, 1000 K\xc3\xb8" "benhavn K"},
    {"CPR", "3112991234", "Lars Larsen", "CLOSED", NULL},
    {"CVR", "33445566", "Bageriet ApS", "REGISTERED", NULL},
    {"CVR", "87654321", "Eksempel Byg A/S", "REGISTERED", NULL},
};

struct demo_letter {
    int org;                         /* index into ORGS */
    const char *rtype, *rid, *label; /* recipient and title */
    int value_days;                  /* > 0: doNotDeliverUntilDate that many days ahead */
    int reply_days;                  /* > 0: reply=true, replyByDateTime that many days ahead */
};

static const struct demo_letter LETTERS[] = {
    {0, "CPR", "2211771212", "Velkommen til Digital Post", 0, 0},
    {0, "CPR", "0101701234", "Afgørelse om boligstøtte", 0, 30},
    {1, "CPR", "0101701234", "Årsopgørelse", 7, 0},
    {0, "CPR", "1502851236", "Varsel om ændret ydelse", 14, 0}, /* Kommunen can recall it */
    {0, "CPR", "0503451239", "Indkaldelse til møde", 0, 0},
    {2, "CVR", "33445566", "Kontrolbesøg", 0, 0},
    {2, "CVR", "12345678", "Høring om regional udviklingsplan", 0, 0},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kuvert demo [--data DIR] [--json]\n\n"
               "Seeds the data directory with demo authorities, sender systems, citizens,\n"
               "companies and letters, and prints the API and bearer tokens it created.\n\n"
               "  --data DIR   data directory (default: config, KUVERT_DATA, ./kuvert-data)\n"
               "  --db URL     PostgreSQL database postgresql://... (default: config, KUVERT_DB;\n"
               "               none: SQLite DIR/kuvert.db)\n"
               "  --json       print one JSON object on stdout\n");
}

/* Builds a small letter from sender org o to recipient (owned XML into out). */
static int build_letter(const struct demo_org *o, const struct demo_letter *dl, struct kv_buf *out,
                        char uuid[37], struct kv_err *err)
{
    struct kv_memo_message *msg = NULL;
    char text[512], date[11];
    int rc, n;

    n = snprintf(text, sizeof(text), "%s\n\nDette er et demobrev fra %s.\n", dl->label, o->name);
    if (n < 0 || (size_t)n >= sizeof(text))
        return kv_err_set(err, KV_EINTERNAL, "demo text too long");
    rc = kv_memo_build_new("1.2", KV_MEMO_DIGITALPOST, dl->label, &msg, err);
    if (rc == 0)
        rc = kv_memo_build_sender(msg, o->cvr, "CVR", o->name, err);
    if (rc == 0)
        rc = kv_memo_build_recipient(msg, dl->rid, dl->rtype, NULL, err);
    if (rc == 0)
        rc = kv_memo_build_main_file(msg, "brev.txt", text, strlen(text), "text/plain", "da", err);
    if (rc == 0 && dl->value_days > 0) {
        char ts[32];

        kv_clock_format_utc(kv_clock_now_ms() + (int64_t)dl->value_days * 86400000, ts,
                            sizeof(ts));
        memcpy(date, ts, 10);
        date[10] = '\0';
        rc = kv_memo_build_value_date(msg, date, err);
    }
    if (rc == 0 && dl->reply_days > 0) {
        char ts[32];

        kv_clock_format_utc(kv_clock_now_ms() + (int64_t)dl->reply_days * 86400000, ts,
                            sizeof(ts));
        msg->header.reply = KV_MEMO_BOOL_TRUE;
        msg->header.reply_by = kv_xstrdup(ts);
    }
    if (rc == 0 && dl->reply_days > 0) { /* the letter to answer also has an attachment */
        static const char guide[] = "Vejledning\n\nSvar på brevet med knappen \"Besvar\" "
                                    "inden svarfristen.\n";

        rc = kv_memo_build_attachment(msg, "Vejledning", "vejledning.txt", guide,
                                      sizeof(guide) - 1, "text/plain", "da", err);
    }
    if (rc == 0)
        rc = kv_memo_write(msg, 0, out, err);
    if (rc == 0)
        snprintf(uuid, 37, "%s", msg->header.message_uuid);
    kv_memo_message_free(msg);
    return rc;
}

static int seed_letters(struct kv__admin *a, struct kv_system *senders, json_t *out,
                        struct kv_err *err)
{
    struct kv_hub hub;
    size_t i;
    int rc = 0;

    memset(&hub, 0, sizeof(hub));
    hub.store = a->st; /* no writer: kv_letter_submit stores in a direct transaction */
    for (i = 0; i < sizeof(LETTERS) / sizeof(LETTERS[0]); i++) {
        const struct demo_letter *dl = &LETTERS[i];
        struct kv_buf xml;
        struct kv_letter l;
        char uuid[37];
        json_t *body = NULL;

        kv_buf_init(&xml, XML_MAX);
        kv_letter_init(&l, NULL, 0);
        rc = build_letter(&ORGS[dl->org], dl, &xml, uuid, err);
        if (rc == 0) {
            kv_letter_init(&l, xml.buf, xml.len);
            rc = kv_letter_submit(&hub, &senders[dl->org], &l, uuid, err);
        }
        if (rc == 0 && l.outcome != KV_LETTER_CREATED && l.outcome != KV_LETTER_REPLAYED)
            rc = kv_err_set(err, KV_EINTERNAL, "demo letter \"%s\" refused: %s %.150s",
                            dl->label, l.refusal.code[0] ? l.refusal.code : kv_err_name(l.err.code),
                            l.refusal.code[0] ? l.refusal.message : l.err.msg);
        if (rc == 0) {
            body = kv_letter_receipt_json(&l);
            json_object_set_new(body, "recipient",
                                json_sprintf("%s:%s", dl->rtype, dl->rid));
            json_object_set_new(body, "label", json_string(dl->label));
            json_array_append(out, body);
        }
        kv_letter_release(&l);
        json_decref(body);
        kv_buf_release(&xml);
        if (rc < 0)
            break;
    }
    return rc;
}

/* Creates contact structure object in (consumed) of org cvr: a group (is_group) or a point;
 * its id into id_out (37 bytes, may be NULL). */
static int seed_one(struct kv__admin *a, const char *cvr, int is_group, json_t *in,
                    char *id_out, struct kv_err *err)
{
    json_t *out = NULL, *ferr = NULL;
    int rc = is_group ? kv_contact_group_create(a->db, cvr, "cli", in, &out, &ferr, err)
                      : kv_contact_point_create(a->db, cvr, "cli", in, &out, &ferr, err);

    if (rc < 0 && ferr) {
        char *txt = json_dumps(ferr, JSON_COMPACT);

        rc = kv_err_set(err, KV_EINTERNAL, "demo contact structure refused: %.200s",
                        txt ? txt : "");
        free(txt);
    }
    if (rc == 0 && id_out)
        kv_str_copy(id_out, 37, json_string_value(json_object_get(out, "id")));
    json_decref(in);
    json_decref(out);
    json_decref(ferr);
    return rc;
}

/* A small contact structure for a newcomer to click through: the units "Borgerservice" and
 * "Teknik og miljø" with the subgroup "Byggesager", a point for building permits there and a
 * point only other authorities write to, at the top level. bs_group gets Borgerservice's id. */
static int seed_structure(struct kv__admin *a, const char *cvr, const char *system,
                          char bs_group[37], struct kv_err *err)
{
    char tm[37], byg[37];
    int rc;

    rc = seed_one(a, cvr, 1,
                  json_pack("{s:s,s:s,s:b}", "name", "Borgerservice", "description",
                            "Henvendelser om flytning, sygesikring, pas og kørekort",
                            "organisationalUnit", 1),
                  bs_group, err);
    if (rc == 0)
        rc = seed_one(a, cvr, 1,
                      json_pack("{s:s,s:s,s:b}", "name", "Teknik og miljø", "description",
                                "Byggeri, veje og natur", "organisationalUnit", 1),
                      tm, err);
    if (rc == 0)
        rc = seed_one(a, cvr, 1,
                      json_pack("{s:s,s:s,s:s}", "name", "Byggesager", "description",
                                "Ansøgninger og spørgsmål om byggeri", "parent", tm),
                      byg, err);
    if (rc == 0)
        rc = seed_one(a, cvr, 0,
                      json_pack("{s:s,s:s,s:s,s:s,s:[s,s],s:i,s:i,s:[{s:s,s:s,s:s}],"
                                "s:[s,s,s],s:[s]}",
                                "name", "Byggetilladelser", "description",
                                "Søg om byggetilladelse eller spørg til en sag. Vedlæg tegninger "
                                "som PDF.",
                                "internalDescription", "Fordeles af byggesagsteamet",
                                "systemId", system, "targets", "CITIZEN", "COMPANY",
                                "memoSizeThresholdMB", 40, "allowedNumberOfAttachments", 20,
                                "contactPointCodes", "type", "KLE", "code", "02.34.02", "name",
                                "Byggetilladelse", "searchTerms", "byggetilladelse", "tilbygning",
                                "carport", "contactGroups", byg),
                      NULL, err);
    if (rc == 0)
        rc = seed_one(a, cvr, 0,
                      json_pack("{s:s,s:s,s:s,s:[s],s:i,s:[s]}", "name", "Myndighedspost",
                                "description", "Post fra andre myndigheder", "systemId", system,
                                "targets", "AUTHORITY", "memoSizeThresholdMB", 60,
                                "searchTerms", "myndighed"),
                      NULL, err);
    return rc;
}

/* A default pull recipient system for org cvr, its contact point "Borgerservice" and a small
 * contact structure around it (seed_structure). */
static int seed_recipient(struct kv__admin *a, const char *cvr, const char *org_name,
                          const char *name, json_t *systems, struct kv_err *err)
{
    struct kv_system sys;
    json_t *in = NULL, *point = NULL, *ferr = NULL;
    char *token = NULL, bs_group[37] = "";
    int rc;

    memset(&sys, 0, sizeof(sys));
    kv_str_copy(sys.org_cvr, sizeof(sys.org_cvr), cvr);
    kv_str_copy(sys.kind, sizeof(sys.kind), "recipient");
    kv_str_copy(sys.name, sizeof(sys.name), name);
    sys.protocol = KV_PROTOCOL_PULL;
    kv_str_copy(sys.contact_email, sizeof(sys.contact_email), "it-drift@kommunen.example");
    sys.is_default = 1;
    rc = kv_system_add(a->db, &sys, &token, err);
    if (rc < 0)
        goto out;
    json_array_append_new(systems, json_pack("{s:s,s:s,s:s,s:s,s:s}", "org", cvr, "orgName",
                                             org_name, "kind", "recipient", "id", sys.id,
                                             "token", token));
    rc = seed_structure(a, cvr, sys.id, bs_group, err);
    if (rc < 0)
        goto out;
    in = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:s}],s:[s,s],s:[s]}", "name", "Borgerservice",
                   "description", "Skriv til kommunens borgerservice", "systemId", sys.id,
                   "contactPointCodes", "type", "KLE", "code", "27.24.00", "name",
                   "Borgerservice", "searchTerms", "flytning", "sygesikring", "contactGroups",
                   bs_group);
    rc = kv_contact_point_create(a->db, cvr, "cli", in, &point, &ferr, err);
    if (rc < 0 && ferr) {
        char *txt = json_dumps(ferr, JSON_COMPACT);

        rc = kv_err_set(err, KV_EINTERNAL, "demo contact point refused: %.200s", txt ? txt : "");
        free(txt);
    }
out:
    free(token);
    json_decref(in);
    json_decref(point);
    json_decref(ferr);
    return rc;
}

static int seed(struct kv__admin *a, json_t *res, struct kv_err *err)
{
    struct kv_system senders[sizeof(ORGS) / sizeof(ORGS[0])], rsys;
    json_t *systems = json_array(), *mailboxes = json_array(), *users = json_array();
    json_t *letters = json_array();
    char *token = NULL;
    size_t i;
    int rc = 0;

    json_object_set_new(res, "systems", systems);
    json_object_set_new(res, "mailboxes", mailboxes);
    json_object_set_new(res, "userTokens", users);
    json_object_set_new(res, "letters", letters);
    for (i = 0; i < sizeof(ORGS) / sizeof(ORGS[0]) && rc == 0; i++) {
        rc = kv_org_add(a->db, ORGS[i].cvr, ORGS[i].name, err);
        if (rc < 0)
            break;
        memset(&senders[i], 0, sizeof(senders[i]));
        kv_str_copy(senders[i].org_cvr, sizeof(senders[i].org_cvr), ORGS[i].cvr);
        kv_str_copy(senders[i].kind, sizeof(senders[i].kind), "sender");
        kv_str_copy(senders[i].name, sizeof(senders[i].name), ORGS[i].system);
        rc = kv_system_add(a->db, &senders[i], &token, err);
        if (rc == 0)
            json_array_append_new(systems,
                                  json_pack("{s:s,s:s,s:s,s:s,s:s}", "org", ORGS[i].cvr, "orgName",
                                            ORGS[i].name, "kind", "sender", "id", senders[i].id,
                                            "token", token));
        free(token);
        token = NULL;
    }
    /* Kommunen's default recipient system (pull) and a contact point citizens can write to */
    if (rc == 0)
        rc = seed_recipient(a, ORGS[0].cvr, ORGS[0].name, "Kommunens postmodtagelse", systems, err);
    /* a company with its own recipient system (pull) */
    if (rc == 0)
        rc = kv_org_add(a->db, "87654321", "Eksempel Byg A/S", err);
    if (rc == 0) {
        memset(&rsys, 0, sizeof(rsys));
        kv_str_copy(rsys.org_cvr, sizeof(rsys.org_cvr), "87654321");
        kv_str_copy(rsys.kind, sizeof(rsys.kind), "recipient");
        kv_str_copy(rsys.name, sizeof(rsys.name), "Eksempel Byg postsystem");
        rsys.protocol = KV_PROTOCOL_PULL;
        rsys.is_default = 1;
        rc = kv_system_add(a->db, &rsys, &token, err);
        if (rc == 0)
            json_array_append_new(systems,
                                  json_pack("{s:s,s:s,s:s,s:s,s:s}", "org", "87654321", "orgName",
                                            "Eksempel Byg A/S", "kind", "recipient", "id",
                                            rsys.id, "token", token));
        free(token);
        token = NULL;
    }
    for (i = 0; i < sizeof(MAILBOXES) / sizeof(MAILBOXES[0]) && rc == 0; i++) {
        const struct demo_mailbox *d = &MAILBOXES[i];
        struct kv_mailbox mb;

        memset(&mb, 0, sizeof(mb));
        kv_str_copy(mb.owner_type, sizeof(mb.owner_type), d->type);
        kv_str_copy(mb.owner_id, sizeof(mb.owner_id), d->id);
        kv_str_copy(mb.name, sizeof(mb.name), d->name);
        kv_str_copy(mb.status, sizeof(mb.status),
                    strcmp(d->status, "EXEMPT") == 0 ? "EXEMPT" : "REGISTERED");
        if (d->address)
            kv_str_copy(mb.address, sizeof(mb.address), d->address);
        rc = kv_mailbox_add(a->db, &mb, err);
        if (rc == 0 && strcmp(d->status, "CLOSED") == 0)
            rc = kv_mailbox_close(a->db, d->type, d->id, err);
        if (rc == 0)
            json_array_append_new(mailboxes, json_pack("{s:s,s:s,s:s,s:s}", "ownerType", d->type,
                                                       "ownerId", d->id, "name", d->name, "status",
                                                       d->status));
        if (rc == 0 && strcmp(d->status, "CLOSED") != 0) {
            rc = kv_user_token_new(a->db, d->type, d->id, &token, err);
            if (rc == 0)
                json_array_append_new(users, json_pack("{s:s,s:s,s:s,s:s}", "ownerType", d->type,
                                                       "ownerId", d->id, "name", d->name, "token",
                                                       token));
            free(token);
            token = NULL;
        }
    }
    if (rc == 0) /* before the letters, so they make notices */
        rc = kv__demo_notify(a, res, err);
    if (rc == 0)
        rc = seed_letters(a, senders, letters, err);
    if (rc == 0)
        rc = kv__demo_people(a, res, err); /* employees and their rights */
    if (rc == 0)
        rc = kv__demo_devices(a, res, err); /* the Adgangsportal's devices */
    return rc;
}

static void print_text(json_t *res)
{
    size_t i;
    json_t *v;

    printf("demo data seeded.\n\nSystems (Authorization: Basic <token>):\n");
    json_array_foreach(json_object_get(res, "systems"), i, v)
        printf("  %-9s %s %-18s id %s\n            token %s\n",
               json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "org")),
               json_string_value(json_object_get(v, "orgName")),
               json_string_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "token")));
    printf("\nMailboxes:\n");
    json_array_foreach(json_object_get(res, "mailboxes"), i, v)
        printf("  %s %-10s %-10s %s\n", json_string_value(json_object_get(v, "ownerType")),
               json_string_value(json_object_get(v, "ownerId")),
               json_string_value(json_object_get(v, "status")),
               json_string_value(json_object_get(v, "name")));
    printf("\nUser tokens (Authorization: Bearer <token>):\n");
    json_array_foreach(json_object_get(res, "userTokens"), i, v)
        printf("  %s %-10s %s\n", json_string_value(json_object_get(v, "ownerType")),
               json_string_value(json_object_get(v, "ownerId")),
               json_string_value(json_object_get(v, "token")));
    printf("\nNotifications: %s (CPR %s) has the confirmed e-mail address %s\n",
           "Mette Hansen", KV__DEMO_NOTIFY_CPR, KV__DEMO_NOTIFY_EMAIL);
    printf("\nAdgangsportal: Mette Hansen (CPR %s) has the devices Mettes iPhone (push) and "
           "Mettes iPad\n", KV__DEMO_DEVICES_CPR);
    printf("\nLetters:\n");
    json_array_foreach(json_object_get(res, "letters"), i, v)
        printf("  %s %-11s %-14s %s\n", json_string_value(json_object_get(v, "messageUUID")),
               json_string_value(json_object_get(v, "receiptStatus")),
               json_string_value(json_object_get(v, "recipient")),
               json_string_value(json_object_get(v, "label")));
}

static int run(int argc, char **argv)
{
    struct kv__admin a;
    struct kv_err err = {0, ""};
    struct kv_org org;
    json_t *res;
    int rc, status;

    rc = kv__admin_parse(&a, "demo", argc, argv, NULL, 0, usage);
    if (rc != 0)
        return rc == 1 ? KV_EXIT_OK : KV_EXIT_USAGE;
    if (kv__admin_open(&a) < 0) {
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    if (kv_org_get(a.db, ORGS[0].cvr, &org, NULL) == 0) {
        kv_cli_errorf("demo", "%s already holds the demo data (organisation %s exists)",
                      a.conf->data, ORGS[0].cvr);
        kv__admin_close(&a);
        return KV_EXIT_FAIL;
    }
    res = json_object();
    json_object_set_new(res, "data", json_string(a.conf->data));
    rc = seed(&a, res, &err);
    if (rc < 0) {
        status = kv__admin_fail(&a, rc, &err);
    } else {
        if (a.json)
            kv__admin_print_json(json_incref(res));
        else {
            print_text(res);
            kv__demo_people_print(res);
        }
        status = KV_EXIT_OK;
    }
    json_decref(res);
    kv__admin_close(&a);
    return status;
}

const struct kv_cli_cmd kv_cmd_demo = {"demo", "seed a demo dataset and print its tokens", run};
