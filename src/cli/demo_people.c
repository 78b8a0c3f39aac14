/* SPDX-License-Identifier: MIT
 *
 * demo_people.c: the people `kuvert demo` seeds (cmd_demo.c calls it after the organisations
 * and mailboxes exist): employees of each demo authority with different rights -- one
 * rettighedsadministrator each, a systemadministrator, a borgerservicemedarbejder, a case
 * worker with post and recall rights, an employee with no rights yet who has asked for one --,
 * a person who is rettighedsadministrator in two organisations (for the context switcher), a
 * user group, the demo citizens as persons, and one citizen's read access to another's
 * mailbox. With `kuvert serve --test-login` each employee signs in by e-mail.
 */
#include "cli/demo_people.h"

#include <stdio.h>
#include <string.h>

#include "cli/admin.h"
#include "identity/identity.h"
#include "identity/rights.h"
#include "store/store.h"
#include "util/clock.h"

#define ACTOR "demo"

struct demo_employee {
    const char *org, *name, *email;
    const char *rights[4];
};

static const struct demo_employee EMPLOYEES[] = {
    {"12345678", "Anne Rettighed", "anne.rettighed@kommunen.dk",
     {"ORGANISATION_USER_ADMINISTRATOR", "MESSAGE_BASIC"}},
    {"12345678", "Søren System", "soeren.system@kommunen.dk",
     {"SYSTEM_MANAGER", "CONTACT_ADMINISTRATOR", "ORGANISATION_ADMINISTRATOR"}},
    {"12345678", "Birgit Borgerservice", "birgit.borgerservice@kommunen.dk",
     {"CITIZEN_SERVICE_EMPLOYEE", "MESSAGE_BASIC"}},
    {"12345678", "Peter Sagsbehandler", "peter.sagsbehandler@kommunen.dk",
     {"MESSAGE_WRITE", "RECALL_ADMINISTRATOR", "MESSAGE_LOG_ADMINISTRATOR",
      "STATISTICS_ADMINISTRATOR"}},
    {"12345678", "Ida Nyansat", "ida.nyansat@kommunen.dk", {NULL}},
    {"12345678", "Tove Tester", "tove.tester@kommunen.dk", {"TEST_PORTAL", "MESSAGE_BASIC"}},
    {"12345678", "Mads Madsen", "mads.madsen@kommunen.dk", {"ORGANISATION_USER_ADMINISTRATOR"}},
    {"55667788", "Mads Madsen", "mads.madsen@kommunen.dk",
     {"ORGANISATION_USER_ADMINISTRATOR", "STATISTICS_ADMINISTRATOR"}},
    {"11223344", "Dorte Styrelse", "dorte.styrelse@demostyrelsen.dk",
     {"ORGANISATION_USER_ADMINISTRATOR", "TEST_PORTAL", "SYSTEM_MANAGER"}},
    {"55667788", "Rasmus Region", "rasmus.region@regioneksempel.dk",
     {"ORGANISATION_USER_ADMINISTRATOR", "SYSTEM_MANAGER", "BUSINESS_SERVICE_EMPLOYEE"}},
    {"87654321", "Erik Byg", "erik@eksempelbyg.dk",
     {"ORGANISATION_USER_ADMINISTRATOR", "MESSAGE_BASIC", "MESSAGE_WRITE"}},
};

struct demo_citizen {
    const char *cpr, *name;
};

static const struct demo_citizen CITIZENS[] = {
    {"2211771212", "Mette Hansen"},
    {"0101701234", "Jens Jensen"},
    {"1502851236", "Sofie Nielsen"},
};

static size_t n_rights(const struct demo_employee *e)
{
    size_t n = 0;

    while (n < 4 && e->rights[n])
        n++;
    return n;
}

/* Finds the employee of e (after seeding). */
static int employee_of(struct kv_db *db, const char *org, const char *email, struct kv_person *p,
                       struct kv_employee *e, struct kv_err *err)
{
    int rc = kv_person_find_email(db, email, p, err);

    return rc < 0 ? rc : kv_employee_find(db, p->id, org, e, err);
}

int kv__demo_people(struct kv__admin *a, json_t *res, struct kv_err *err)
{
    json_t *emps = json_array(), *people = json_array(), *rights;
    struct kv_person p, jens, sofie;
    struct kv_employee e;
    struct kv_grant g;
    int64_t gid;
    size_t i, j;
    int rc = 0;

    json_object_set_new(res, "employees", emps);
    json_object_set_new(res, "persons", people);
    for (i = 0; i < sizeof(EMPLOYEES) / sizeof(EMPLOYEES[0]) && rc == 0; i++) {
        const struct demo_employee *d = &EMPLOYEES[i];

        rc = kv_identity_add_employee(a->db, d->org, d->name, d->email, NULL, d->rights,
                                      n_rights(d), ACTOR, &p, &e, err);
        if (rc < 0)
            break;
        rights = json_array();
        for (j = 0; j < n_rights(d); j++)
            json_array_append_new(rights, json_string(d->rights[j]));
        json_array_append_new(emps, json_pack("{s:s,s:s,s:s,s:o}", "org", d->org, "name",
                                              d->name, "email", d->email, "rights", rights));
    }
    /* a user group in Kommunen: case workers read the organisation's post */
    if (rc == 0)
        rc = kv_group_add(a->db, "12345678", "Sagsbehandlere", "Læser kommunens post", ACTOR,
                          &gid, err);
    if (rc == 0)
        rc = employee_of(a->db, "12345678", "peter.sagsbehandler@kommunen.dk", &p, &e, err);
    if (rc == 0)
        rc = kv_group_member_add(a->db, gid, e.id, ACTOR, err);
    if (rc == 0) {
        memset(&g, 0, sizeof(g));
        g.type = "MESSAGE_BASIC";
        g.scope_cvr = "12345678";
        g.group_id = gid;
        g.issuer = ACTOR;
        rc = kv_rights_grant(a->db, &g, 0, NULL, err);
    }
    /* the new employee has asked for read access to the post */
    if (rc == 0)
        rc = kv_person_find_email(a->db, "ida.nyansat@kommunen.dk", &p, err);
    if (rc == 0)
        rc = kv_request_submit(a->db, p.id, "MESSAGE_BASIC", "CVR", "12345678", 0,
                               "Jeg skal besvare borgerhenvendelser", NULL, err);
    /* the citizens as persons; Sofie may read Jens's post for 90 days */
    for (i = 0; i < sizeof(CITIZENS) / sizeof(CITIZENS[0]) && rc == 0; i++) {
        memset(&p, 0, sizeof(p));
        snprintf(p.name, sizeof(p.name), "%s", CITIZENS[i].name);
        snprintf(p.cpr, sizeof(p.cpr), "%s", CITIZENS[i].cpr);
        rc = kv_person_add(a->db, &p, ACTOR, err);
        if (rc == 0)
            json_array_append_new(people, json_pack("{s:s,s:s}", "cpr", CITIZENS[i].cpr, "name",
                                                    CITIZENS[i].name));
    }
    if (rc == 0)
        rc = kv_person_find_cpr(a->db, "0101701234", &jens, err);
    if (rc == 0)
        rc = kv_person_find_cpr(a->db, "1502851236", &sofie, err);
    if (rc == 0) {
        memset(&g, 0, sizeof(g));
        g.type = "MAILBOX_READ";
        g.scope_type = "CPR";
        g.scope_id = jens.cpr;
        g.person_id = sofie.id;
        g.source = "REQUEST";
        g.active_to_ms = kv_clock_now_ms() + 90LL * 24 * 3600 * 1000;
        g.issuer = "cpr:0101701234";
        rc = kv_rights_grant(a->db, &g, 0, NULL, err);
    }
    /* Mette has asked for read and write access to Jens's post: he answers at /post/adgang */
    if (rc == 0)
        rc = kv_person_find_cpr(a->db, "2211771212", &p, err);
    if (rc == 0)
        rc = kv_request_mailbox_access(a->db, p.id, "Jens", "Jensen", jens.cpr,
                                       "MAILBOX_READ_WRITE", 0, NULL, err);
    return rc;
}

void kv__demo_people_print(json_t *res)
{
    const json_t *v, *r;
    size_t i, j;

    printf("\nCitizens (sign in by CPR with `kuvert serve --test-login`; their post is at"
           " /post/):\n");
    json_array_foreach(json_object_get(res, "persons"), i, v)
        printf("  %s %s\n", json_string_value(json_object_get(v, "cpr")),
               json_string_value(json_object_get(v, "name")));
    printf("  Sofie Nielsen may read Jens Jensen's post (read access, switch mailbox at /post/);"
           "\n  Mette Hansen has asked for read and write access to it: Jens answers at"
           " /post/adgang.\n");

    printf("\nEmployees (sign in by e-mail with `kuvert serve --test-login`):\n");
    json_array_foreach(json_object_get(res, "employees"), i, v) {
        printf("  %s %-22s %-36s", json_string_value(json_object_get(v, "org")),
               json_string_value(json_object_get(v, "name")),
               json_string_value(json_object_get(v, "email")));
        json_array_foreach(json_object_get(v, "rights"), j, r) {
            const struct kv_priv_info *info = kv_priv_find(json_string_value(r));

            printf("%s%s", j ? ", " : "", info ? info->name_da : json_string_value(r));
        }
        printf("%s\n", json_array_size(json_object_get(v, "rights")) ? "" : "(ingen rettigheder)");
    }
}
