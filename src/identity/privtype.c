/* SPDX-License-Identifier: MIT
 *
 * privtype.c: the privilege types (see rights.h): NgDP's technical names
 * (../shared/docs/portals.md §3.1), the Danish names the guides use (where none was seen, a
 * name in the same style, marked in docs/rights.md), an English name, one line on what each
 * allows, and how it may be granted (organisation scope, mailbox access, narrowing to a
 * contact group or point, to an external partner); and the "last day it holds" dates of
 * --until and the portal's date fields.
 */
#include "identity/rights.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/clock.h"

#define ORG KV_PRIV_F_ORG
#define MBX KV_PRIV_F_MAILBOX
#define NAR KV_PRIV_F_NARROW
#define PAR KV_PRIV_F_PARTNER

static const struct kv_priv_info TABLE[KV_PRIV__COUNT] = {
    {KV_PRIV_ORGANISATION_USER_ADMINISTRATOR, "ORGANISATION_USER_ADMINISTRATOR",
     "Rettighedsadministrator", "Rights administrator",
     "Tildeler og fjerner rettigheder i organisationen i Rettighedsportalen", ORG},
    {KV_PRIV_MESSAGE_BASIC, "MESSAGE_BASIC", "Basisadgang til post", "Basic mailbox access",
     "Læser organisationens Digital Post", ORG | NAR | PAR},
    {KV_PRIV_MESSAGE_WRITE, "MESSAGE_WRITE", "Avanceret adgang til post",
     "Advanced mailbox access", "Skriver, besvarer, videresender, flytter og sletter post",
     ORG | NAR | PAR},
    {KV_PRIV_SYSTEM_MANAGER, "SYSTEM_MANAGER", "Systemadministrator", "System administrator",
     "Opretter og vedligeholder afsender- og modtagersystemer", ORG | PAR},
    {KV_PRIV_CONTACT_ADMINISTRATOR, "CONTACT_ADMINISTRATOR", "Kontaktstrukturadministrator",
     "Contact structure administrator", "Vedligeholder kontaktgrupper og kontaktpunkter",
     ORG | PAR},
    {KV_PRIV_RECALL_ADMINISTRATOR, "RECALL_ADMINISTRATOR", "Tilbagekaldelsesadministrator",
     "Recall administrator", "Tilbagekalder breve før deres virkningsdato", ORG},
    {KV_PRIV_STATISTICS_ADMINISTRATOR, "STATISTICS_ADMINISTRATOR", "Statistikadministrator",
     "Statistics administrator", "Ser og henter anvendelsesstatistik", ORG | PAR},
    {KV_PRIV_MESSAGE_LOG_ADMINISTRATOR, "MESSAGE_LOG_ADMINISTRATOR", "Hændelseslogadministrator",
     "Event log administrator", "Søger i hændelsesloggen og eksporterer beviser", ORG | PAR},
    {KV_PRIV_ORGANISATION_ADMINISTRATOR, "ORGANISATION_ADMINISTRATOR",
     "Organisationsadministrator", "Organisation administrator",
     "Vedligeholder organisationens oplysninger og logo", ORG},
    {KV_PRIV_CITIZEN_SERVICE_EMPLOYEE, "CITIZEN_SERVICE_EMPLOYEE", "Borgerservicemedarbejder",
     "Citizen service employee", "Fritager borgere og opretter adgang på borgerens vegne", ORG},
    {KV_PRIV_BUSINESS_SERVICE_EMPLOYEE, "BUSINESS_SERVICE_EMPLOYEE",
     "Erhvervsservicemedarbejder", "Business service employee",
     "Fritager virksomheder og opretter adgang på virksomhedens vegne", ORG},
    {KV_PRIV_TEST_PORTAL, "TEST_PORTAL", "Testportalbruger", "Test portal user",
     "Opretter testdata og testbeskeder i Testportalen", ORG | PAR},
    {KV_PRIV_MAILBOX_READ, "MAILBOX_READ", "Læseadgang", "Read access",
     "Læser en andens Digital Post", MBX},
    {KV_PRIV_MAILBOX_READ_WRITE, "MAILBOX_READ_WRITE", "Læse- og skriveadgang",
     "Read and write access", "Læser og skriver i en andens Digital Post", MBX},
};

const struct kv_priv_info *kv_priv_table(void)
{
    return TABLE;
}

const struct kv_priv_info *kv_priv_find(const char *code)
{
    size_t i;

    if (!code)
        return NULL;
    for (i = 0; i < KV_PRIV__COUNT; i++)
        if (strcasecmp(TABLE[i].code, code) == 0)
            return &TABLE[i];
    return NULL;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int kv_rights_parse_until(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, n = 0, last;

    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        s[4] != '-' || s[7] != '-' || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[5]) || !isdigit((unsigned char)s[8]))
        return KV_EINVAL;
    if (y < 2000 || y > 2200 || m < 1 || m > 12)
        return KV_EINVAL;
    last = mdays[m - 1] + (m == 2 && leap(y));
    if (d < 1 || d > last)
        return KV_EINVAL;
    if (d == last) { /* the right ends at the midnight that starts the next day */
        d = 1;
        if (++m > 12) {
            m = 1;
            y++;
        }
    } else {
        d++;
    }
    *out = kv_clock_copenhagen_midnight_ms(y, m, d);
    return 0;
}

void kv_rights_format_until(int64_t active_to_ms, char out[11])
{
    char buf[32];

    /* a Copenhagen midnight is 22:00 or 23:00 UTC of the day before: one ms earlier is still
     * on the last day the right holds, in UTC too */
    kv_clock_format_utc(active_to_ms - 1, buf, sizeof(buf));
    memcpy(out, buf, 10);
    out[10] = '\0';
}
