/* SPDX-License-Identifier: MIT
 *
 * test_rules.c: unit tests of layer (c), the NgDP business rules (src/memo/rules*.c,
 * docs/memo-rules.md). Documents are parsed with libxml2 directly into a struct kv_memo_doc and
 * kv__memo_rules_run is called on them, so these tests do not depend on kv_memo_check. Every
 * rule has a passing and a failing case, built by substituting text into the MeMo 1.2 Minimum
 * example; failing cases assert the rule code, the severity, and the line and path of the
 * element the diagnostic points at. The published examples are checked as wholes too. The
 * file rules are in test_rules_files.c; the shared harness is rules_harness.h.
 */
#include "rules_harness.h"

/* ---------------------------------------------------------------- published examples */

static void test_examples_pass(void **state)
{
    static const char *const ok[] = {
        EX "Full_Example__memo-1.2.xml",
        EX "Minimum_Example__memo-1.2.xml",
        EX "Minimum_Example__memo-1.1.xml",
    };
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        run_file(&r, ok[i]);
        expect_no_errors(&r);
        run_free(&r);
    }
    /* the Full example is rich enough to exercise the warnings too */
    run_file(&r, EX "Full_Example__memo-1.2.xml");
    assert_true(count(&r, "NGDP-CVR-MOD11") >= 1);
    assert_int_equal(count(&r, "NGDP-ADDRESS-UNSTRUCTURED"), 2);
    assert_int_equal(count(&r, "NGDP-INTERVAL"), 3);
    run_free(&r);
}

static void test_example_full11_only_https(void **state)
{
    static const char *const codes[] = {"NGDP-URL-HTTPS", NULL};
    struct run r;

    (void)state;
    run_file(&r, EX "Full_Example__memo-1.1.xml");
    errors_only(&r, codes);
    assert_int_equal(count(&r, "NGDP-URL-HTTPS"), 3);
    assert_int_equal(r.d.n_errors, 3);
    expect(&r, "NGDP-URL-HTTPS", KV_MEMO_ERROR, "http://www.tusindfryd.dk/sp",
           MAINDOC "/memo:Action[1]/memo:EntryPoint/memo:url");
    run_free(&r);
}

static void test_examples_placeholder_ids(void **state)
{
    static const char *const files[] = {
        EX "NemSMS__memo-1.1.xml",
        EX "NemSMS__memo-1.2.xml",
        EX "with_attachment__memo-1.1.xml",
        EX "with_attachment__memo-1.2.xml",
    };
    static const char *const codes[] = {"NGDP-CPR", "NGDP-CVR", NULL};
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        run_file(&r, files[i]);
        errors_only(&r, codes);
        expect(&r, "NGDP-CVR", KV_MEMO_ERROR, "<memo:senderID>", HDR "/memo:Sender/memo:senderID");
        expect(&r, "NGDP-CPR", KV_MEMO_ERROR, "<memo:recipientID>",
               HDR "/memo:Recipient/memo:recipientID");
        assert_int_equal(r.d.n_errors, 2);
        run_free(&r);
    }
}

static void test_examples_defensive(void **state)
{
    static const char *const files[] = {
        "tests/data/examples/itk-dev_serviceplatformen__testMeMoScenarie1Eksempel.xml",
        "tests/data/examples/itk-dev_serviceplatformen__testNamespaces.xml",
        "tests/data/examples/itk-dev_serviceplatformen__testSerializeEmptyMessage.xml",
    };
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        run_file(&r, files[i]);
        run_free(&r);
    }
    /* Scenarie 1 (MeMo 1.0) still has an http URL */
    run_file(&r, files[0]);
    assert_int_equal(count(&r, "NGDP-URL-HTTPS"), 1);
    run_free(&r);
    /* testNamespaces: replyByDateTime without reply */
    run_file(&r, files[1]);
    expect(&r, "NGDP-REPLYBY-WITHOUT-REPLY", KV_MEMO_WARNING, "<memo:replyByDateTime>",
           HDR "/memo:replyByDateTime");
    expect_no_errors(&r);
    run_free(&r);
}

/* ---------------------------------------------------------------- UUIDs */

static void test_uuid(void **state)
{
    struct run r;

    (void)state;
    run_min(&r, "8C2EA15D-61FB-4BA9-9366-42F8B194C114", "8c2ea15d-61fb-4ba9-b366-42f8b194c114");
    expect_none(&r, "NGDP-UUID-V4");
    run_free(&r);

    run_min(&r, "8C2EA15D-61FB-4BA9-9366-42F8B194C114", "8C2EA15D-61FB-1BA9-9366-42F8B194C114");
    expect(&r, "NGDP-UUID-V4", KV_MEMO_ERROR, "<memo:messageUUID>", HDR "/memo:messageUUID");
    assert_non_null(strstr(find(&r, "NGDP-UUID-V4")->message, "version 1"));
    run_free(&r);

    run_min(&r, "8C2EA15D-61FB-4BA9-9366-42F8B194C114", "8C2EA15D-61FB-4BA9-C366-42F8B194C114");
    expect(&r, "NGDP-UUID-V4", KV_MEMO_ERROR, "<memo:messageUUID>", HDR "/memo:messageUUID");
    assert_non_null(strstr(find(&r, "NGDP-UUID-V4")->message, "variant"));
    run_free(&r);

    run_min(&r, "8C2EA15D-61FB-4BA9-9366-42F8B194C114", " 8C2EA15D-61FB-4BA9-9366-42F8B194C11");
    expect(&r, "NGDP-UUID-V4", KV_MEMO_ERROR, "<memo:messageUUID>", HDR "/memo:messageUUID");
    run_free(&r);

    /* ReplyData/replyUUID, ForwardData/messageUUID and reservationUUID are checked too */
    run_min(&r, "</memo:Recipient>",
            "</memo:Recipient>\n<memo:ForwardData><memo:messageUUID>x</memo:messageUUID>"
            "</memo:ForwardData>\n<memo:ReplyData>"
            "<memo:messageUUID>8C2EA15D-61FB-4BA9-9366-42F8B194C114</memo:messageUUID>\n"
            "<memo:replyUUID>00000000-0000-0000-0000-000000000000</memo:replyUUID>"
            "</memo:ReplyData>");
    assert_int_equal(count(&r, "NGDP-UUID-V4"), 2);
    assert_int_equal(nth(&r, "NGDP-UUID-V4", 0)->line, line_of(&r, "<memo:ForwardData>"));
    assert_string_equal(nth(&r, "NGDP-UUID-V4", 0)->path, HDR "/memo:ForwardData/memo:messageUUID");
    assert_int_equal(nth(&r, "NGDP-UUID-V4", 1)->line, line_of(&r, "<memo:replyUUID>"));
    assert_string_equal(nth(&r, "NGDP-UUID-V4", 1)->path, HDR "/memo:ReplyData/memo:replyUUID");
    run_free(&r);
}

/* ---------------------------------------------------------------- date-times and dates */

#define CREATED "2024-05-03T12:00:00Z"
#define CREATED_PATH "/memo:Message/memo:MessageBody/memo:createdDateTime"

static void test_datetime(void **state)
{
    static const char *const good[] = {"2024-02-29T23:59:59Z", "2024-05-03T12:00:00.125Z",
                                       " 2024-05-03T12:00:00Z\n"};
    static const char *const bad[] = {"2023-02-29T12:00:00Z",  "2024-13-03T12:00:00Z",
                                      "2024-05-03T24:00:00Z",  "2024-05-03 12:00:00Z",
                                      "2024-05-03T12:00Z",     "24-05-03T12:00:00Z",
                                      "2024-05-03T12:00:00.Z", "2024-05-03T12:00:00z",
                                      "2024-04-31T12:00:00Z",  ""};
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        run_min(&r, CREATED, good[i]);
        expect_no_errors(&r);
        run_free(&r);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_min(&r, CREATED, bad[i]);
        expect(&r, "NGDP-DATETIME-INVALID", KV_MEMO_ERROR, "<memo:createdDateTime>", CREATED_PATH);
        assert_int_equal(r.d.n_errors, 1);
        run_free(&r);
    }
    run_min(&r, CREATED, "2024-05-03T12:00:00");
    expect(&r, "NGDP-DATETIME-UTC", KV_MEMO_ERROR, "<memo:createdDateTime>", CREATED_PATH);
    run_free(&r);
    run_min(&r, CREATED, "2024-05-03T14:00:00+02:00");
    expect(&r, "NGDP-DATETIME-UTC", KV_MEMO_ERROR, "<memo:createdDateTime>", CREATED_PATH);
    assert_non_null(strstr(find(&r, "NGDP-DATETIME-UTC")->message, "offset"));
    run_free(&r);
    run_min(&r, CREATED, "2024-05-03T12:00:00+00:00");
    expect(&r, "NGDP-DATETIME-UTC", KV_MEMO_ERROR, "<memo:createdDateTime>", CREATED_PATH);
    run_free(&r);
    /* replyByDateTime in the header is a date-time too */
    run_min(&r, "<memo:label>Pladsanvisning</memo:label>",
            "<memo:label>Pladsanvisning</memo:label>\n<memo:reply>true</memo:reply>\n"
            "<memo:replyByDateTime>2024-06-01T10:00:00+01:00</memo:replyByDateTime>");
    expect(&r, "NGDP-DATETIME-UTC", KV_MEMO_ERROR, "<memo:replyByDateTime>",
           HDR "/memo:replyByDateTime");
    expect_none(&r, "NGDP-REPLYBY-WITHOUT-REPLY");
    run_free(&r);
}

static void test_date(void **state)
{
    static const char *const good[] = {"2024-02-29", "2000-02-29", "2025-09-15Z", "2025-12-31"};
    static const char *const bad[] = {"2023-02-30", "2023-02-29",          "2100-02-29",
                                      "2025-9-15",  "2025-09-15T00:00:00", "2025-00-10",
                                      "2025-09-31"};
    struct run r;
    char xml[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(xml, sizeof(xml),
                 "<memo:label>Pladsanvisning</memo:label>\n"
                 "<memo:doNotDeliverUntilDate>%s</memo:doNotDeliverUntilDate>",
                 good[i]);
        run_min(&r, "<memo:label>Pladsanvisning</memo:label>", xml);
        expect_no_errors(&r);
        run_free(&r);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(xml, sizeof(xml),
                 "<memo:label>Pladsanvisning</memo:label>\n"
                 "<memo:doNotDeliverUntilDate>%s</memo:doNotDeliverUntilDate>",
                 bad[i]);
        run_min(&r, "<memo:label>Pladsanvisning</memo:label>", xml);
        expect(&r, "NGDP-DATE-INVALID", KV_MEMO_ERROR, "<memo:doNotDeliverUntilDate>",
               HDR "/memo:doNotDeliverUntilDate");
        assert_int_equal(r.d.n_errors, 1);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- actions */

#define END_MAIN "</memo:File>\n\t\t</memo:MainDocument>"

static void run_action(struct run *r, const char *action_inner)
{
    char *xml = kv_xasprintf("</memo:File>\n<memo:Action>%s</memo:Action>\n</memo:MainDocument>",
                             action_inner);

    run_min(r, END_MAIN, xml);
    free(xml);
}

#define ACTION "/memo:Message/memo:MessageBody/memo:MainDocument/memo:Action"
#define EP(u) "<memo:EntryPoint>\n<memo:url>" u "</memo:url></memo:EntryPoint>"
#define SELV "<memo:label>L</memo:label><memo:actionCode>SELVBETJENING</memo:actionCode>"
#define RESV                                                                                       \
    "<memo:Reservation>\n<memo:description>d</memo:description>"                                   \
    "<memo:reservationUUID>8C2EA15D-61FB-4BA9-9366-42F8B194D241</memo:reservationUUID>"            \
    "<memo:abstract>a</memo:abstract><memo:location>l</memo:location>"                             \
    "<memo:startDateTime>2018-11-10T09:00:00Z</memo:startDateTime>"                                \
    "<memo:endDateTime>2018-11-10T12:00:00Z</memo:endDateTime></memo:Reservation>"

static void test_url(void **state)
{
    static const char *const good[] = {EP("https://www.example.dk"),
                                       EP("https://example.dk/a?b=c#d"),
                                       EP("HTTPS://user@example.dk:8443/x"),
                                       EP("https://[2001:db8::1]/x"),
                                       EP("https://www.tusindfryd.dk/sp\xc3\xb8rgeskema.html"),
                                       EP(" https://example.dk ")};
    static const char *const bad[] = {EP("http://www.example.dk"),
                                      EP("https://"),
                                      EP("https:///path"),
                                      EP("ftp://example.dk"),
                                      EP("www.example.dk"),
                                      EP("https:example.dk"),
                                      EP("https://exa mple.dk/"),
                                      EP("https://example.dk:99999/"),
                                      EP("https://example.dk:80a/"),
                                      EP("https://[::1/"),
                                      EP(""),
                                      EP("https://user@/x")};
    struct run r;
    char inner[600];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(inner, sizeof(inner), SELV "%s", good[i]);
        run_action(&r, inner);
        expect_no_errors(&r);
        run_free(&r);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(inner, sizeof(inner), SELV "%s", bad[i]);
        run_action(&r, inner);
        expect(&r, "NGDP-URL-HTTPS", KV_MEMO_ERROR, "<memo:url>",
               ACTION "/memo:EntryPoint/memo:url");
        assert_int_equal(r.d.n_errors, 1);
        run_free(&r);
    }
}

static void test_action_code(void **state)
{
    static const char *const codes[] = {"AFTALE",       "BEKRAEFT",    "BETALING",
                                        "FORBEREDELSE", "INFORMATION", "SELVBETJENING",
                                        "TILMELDING",   "UNDERSKRIV"};
    struct run r;
    char inner[600];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        snprintf(inner, sizeof(inner),
                 "<memo:label>L</memo:label><memo:actionCode>%s</memo:actionCode>%s", codes[i],
                 i == 0 ? RESV : EP("https://example.dk"));
        run_action(&r, inner);
        expect_no_errors(&r);
        expect_none(&r, "NGDP-AFTALE-RESERVATION");
        run_free(&r);
    }
    run_action(&r,
               "<memo:label>L</memo:label>\n<memo:actionCode>selvbetjening</memo:actionCode>" EP(
                   "https://example.dk"));
    expect(&r, "NGDP-ACTION-CODE", KV_MEMO_ERROR, "<memo:actionCode>", ACTION "/memo:actionCode");
    assert_non_null(strstr(find(&r, "NGDP-ACTION-CODE")->message, "SELVBETJENING"));
    run_free(&r);
    run_action(&r, "<memo:label>L</memo:label>\n<memo:actionCode>BOOK</memo:actionCode>" EP(
                       "https://example.dk"));
    expect(&r, "NGDP-ACTION-CODE", KV_MEMO_ERROR, "<memo:actionCode>", ACTION "/memo:actionCode");
    run_free(&r);
}

static void test_reservation(void **state)
{
    struct run r;

    (void)state;
    /* Reservation with a code other than AFTALE */
    run_action(&r, "<memo:label>L</memo:label><memo:actionCode>INFORMATION</memo:actionCode>" RESV);
    expect(&r, "NGDP-RESERVATION-CODE", KV_MEMO_ERROR, "<memo:Reservation>",
           ACTION "/memo:Reservation");
    assert_int_equal(r.d.n_errors, 1);
    run_free(&r);
    /* AFTALE without a Reservation: warning only */
    run_action(&r, "\n<memo:label>L</memo:label><memo:actionCode>AFTALE</memo:actionCode>" EP(
                       "https://example.dk"));
    expect(&r, "NGDP-AFTALE-RESERVATION", KV_MEMO_WARNING, "<memo:Action>", ACTION);
    expect_no_errors(&r);
    run_free(&r);
    /* both targets */
    run_action(&r, "\n<memo:label>L</memo:label><memo:actionCode>AFTALE</memo:actionCode>" RESV EP(
                       "https://example.dk"));
    expect(&r, "NGDP-ACTION-TARGET", KV_MEMO_ERROR, "<memo:Action>", ACTION);
    assert_int_equal(r.d.n_errors, 1);
    run_free(&r);
    /* two EntryPoints */
    run_action(&r, "\n" SELV EP("https://a.dk") EP("https://b.dk"));
    expect(&r, "NGDP-ACTION-TARGET", KV_MEMO_ERROR, "<memo:Action>", ACTION);
    run_free(&r);
    /* Reservation ending before it starts; its UUID is checked too */
    run_action(&r,
               "<memo:label>L</memo:label><memo:actionCode>AFTALE</memo:actionCode>"
               "<memo:Reservation><memo:description>d</memo:description>"
               "<memo:reservationUUID>8C2EA15D-61FB-5BA9-9366-42F8B194D241</memo:reservationUUID>"
               "<memo:abstract>a</memo:abstract><memo:location>l</memo:location>"
               "<memo:startDateTime>2018-11-10T09:00:00Z</memo:startDateTime>\n"
               "<memo:endDateTime>2018-11-10T08:59:59.5Z</memo:endDateTime></memo:Reservation>");
    expect(&r, "NGDP-INTERVAL", KV_MEMO_WARNING, "<memo:endDateTime>",
           ACTION "/memo:Reservation/memo:endDateTime");
    expect(&r, "NGDP-UUID-V4", KV_MEMO_ERROR, "<memo:reservationUUID>",
           ACTION "/memo:Reservation/memo:reservationUUID");
    run_free(&r);
    /* equal start and end, fractions compared numerically: no warning */
    run_action(&r, SELV
               "<memo:startDateTime>2018-11-10T09:00:00Z</memo:startDateTime>"
               "<memo:endDateTime>2018-11-10T09:00:00.000Z</memo:endDateTime>" EP("https://a.dk"));
    expect_none(&r, "NGDP-INTERVAL");
    expect_no_errors(&r);
    run_free(&r);
}

/* ---------------------------------------------------------------- ids */

#define RCPT "<memo:recipientID>2211771212</memo:recipientID>"
#define RCPT_PATH HDR "/memo:Recipient/memo:recipientID"
#define SNDR "<memo:senderID>12345678</memo:senderID>"
#define SNDR_PATH HDR "/memo:Sender/memo:senderID"

static void test_cpr(void **state)
{
    static const char *const good[] = {"0101001234", "2902761234", "2902001234", "3112991234",
                                       "3004501234"};
    static const char *const bad[] = {"3102771212",  "2902771212", "0013771212",  "3104771212",
                                      "221177-1212", "221177121",  "22117712123", "22117712a2",
                                      " 2211771212", "0001771212"};
    struct run r;
    char xml[100];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(xml, sizeof(xml), "<memo:recipientID>%s</memo:recipientID>", good[i]);
        run_min(&r, RCPT, xml);
        expect_no_errors(&r);
        run_free(&r);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(xml, sizeof(xml), "<memo:recipientID>%s</memo:recipientID>", bad[i]);
        run_min(&r, RCPT, xml);
        expect(&r, "NGDP-CPR", KV_MEMO_ERROR, "<memo:recipientID>", RCPT_PATH);
        assert_int_equal(r.d.n_errors, 1);
        run_free(&r);
    }
    /* grd:cprNumber in ContentData, whatever the prefix */
    run_min(&r, "</memo:Recipient>",
            "</memo:Recipient>\n<memo:ContentData><g:CPRdata "
            "xmlns:g=\"https://data.gov.dk/model/core/\">\n<g:cprNumber>3002801234</g:cprNumber>"
            "</g:CPRdata></memo:ContentData>");
    expect(&r, "NGDP-CPR", KV_MEMO_ERROR, "<g:cprNumber>",
           HDR "/memo:ContentData/g:CPRdata/g:cprNumber");
    run_free(&r);
}

static void test_cvr(void **state)
{
    struct run r;

    (void)state;
    run_min(&r, SNDR, "<memo:senderID>12345674</memo:senderID>");
    expect_none(&r, "NGDP-CVR");
    expect_none(&r, "NGDP-CVR-MOD11");
    run_free(&r);
    run_min(&r, SNDR, SNDR); /* 12345678 is 8 digits but fails modulus 11 */
    expect(&r, "NGDP-CVR-MOD11", KV_MEMO_WARNING, "<memo:senderID>", SNDR_PATH);
    expect_no_errors(&r);
    run_free(&r);
    run_min(&r, SNDR, "<memo:senderID>1234567</memo:senderID>");
    expect(&r, "NGDP-CVR", KV_MEMO_ERROR, "<memo:senderID>", SNDR_PATH);
    run_free(&r);
    run_min(&r, SNDR, "<memo:senderID>DK12345674</memo:senderID>");
    expect(&r, "NGDP-CVR", KV_MEMO_ERROR, "<memo:senderID>", SNDR_PATH);
    run_free(&r);
    /* grd:cvrNumber */
    run_min(&r, "</memo:Recipient>",
            "</memo:Recipient>\n<memo:ContentData><grd:CVRdata "
            "xmlns:grd=\"https://data.gov.dk/model/core/\">\n<grd:cvrNumber>123</grd:cvrNumber>"
            "</grd:CVRdata></memo:ContentData>");
    expect(&r, "NGDP-CVR", KV_MEMO_ERROR, "<grd:cvrNumber>",
           HDR "/memo:ContentData/grd:CVRdata/grd:cvrNumber");
    run_free(&r);
    /* a CPR recipient id typed as CVR is a CVR error */
    run_min(&r, "<memo:idType>CPR</memo:idType>", "<memo:idType>CVR</memo:idType>");
    expect(&r, "NGDP-CVR", KV_MEMO_ERROR, "<memo:recipientID>", RCPT_PATH);
    run_free(&r);
}

static void test_representative_and_idtype(void **state)
{
    struct run r;

    (void)state;
    run_min(&r, "</memo:Sender>",
            "<memo:Representative>\n<memo:representativeID>3213771212</memo:representativeID>"
            "<memo:idType>CPR</memo:idType><memo:label>R</memo:label></memo:Representative>"
            "</memo:Sender>");
    expect(&r, "NGDP-CPR", KV_MEMO_ERROR, "<memo:representativeID>",
           HDR "/memo:Sender/memo:Representative/memo:representativeID");
    run_free(&r);
    run_min(&r, "</memo:Sender>",
            "<memo:Representative>\n<memo:representativeID>3112771212</memo:representativeID>"
            "<memo:idType>CPR</memo:idType><memo:label>R</memo:label></memo:Representative>"
            "</memo:Sender>");
    expect_no_errors(&r);
    run_free(&r);
    run_min(&r, "<memo:idType>CVR</memo:idType>", "<memo:idType>MyndighedsID</memo:idType>");
    expect(&r, "NGDP-IDTYPE", KV_MEMO_WARNING, "<memo:idType>MyndighedsID",
           HDR "/memo:Sender/memo:idType");
    expect_no_errors(&r);
    run_free(&r);
    /* CPR and CVR in any case, as sjkp/digitalpost's MemoBuilder writes them ("cvr"): the
     * number is checked as such, and no NGDP-IDTYPE warning */
    run_min(&r, "<memo:idType>CVR</memo:idType>", "<memo:idType>cvr</memo:idType>");
    expect_none(&r, "NGDP-IDTYPE");
    expect_no_errors(&r);
    run_free(&r);
    run_min(&r, "</memo:Sender>",
            "<memo:Representative>\n<memo:representativeID>3213771212</memo:representativeID>"
            "<memo:idType>Cpr</memo:idType><memo:label>R</memo:label></memo:Representative>"
            "</memo:Sender>");
    expect(&r, "NGDP-CPR", KV_MEMO_ERROR, "<memo:representativeID>",
           HDR "/memo:Sender/memo:Representative/memo:representativeID");
    expect_none(&r, "NGDP-IDTYPE");
    run_free(&r);
}

/* ---------------------------------------------------------------- message level */

#define NEMSMS EX "NemSMS__memo-1.2.xml"
#define NOTE "<memo:notification>Message Text</memo:notification>"

static char *nemsms_fixed(void)
{
    size_t len;
    char *a = read_file(NEMSMS, &len), *b = subst(a, "Sender ID", "12345674");

    free(a);
    a = subst(b, "Recipient ID", "2211771212");
    free(b);
    return a;
}

static void run_nemsms(struct run *r, const char *from, const char *to)
{
    char *a = nemsms_fixed(), *b = subst(a, from, to);

    run_str(r, b);
    free(a);
    free(b);
}

static void test_nemsms(void **state)
{
    struct run r;
    char text[400], *xml;
    int i;

    (void)state;
    run_nemsms(&r, NOTE, NOTE);
    assert_int_equal(r.d.n, 0);
    run_free(&r);
    /* 160 characters of two bytes each: passes, counts characters not bytes */
    for (i = 0; i < 160; i++)
        memcpy(text + 2 * i, "\xc3\xa6", 2);
    text[320] = '\0';
    xml = kv_xasprintf("<memo:notification>%s</memo:notification>", text);
    run_nemsms(&r, NOTE, xml);
    expect_no_errors(&r);
    run_free(&r);
    free(xml);
    xml = kv_xasprintf("<memo:notification>%sx</memo:notification>", text);
    run_nemsms(&r, NOTE, xml);
    expect(&r, "NGDP-NEMSMS-LENGTH", KV_MEMO_ERROR, "<memo:notification>",
           HDR "/memo:notification");
    assert_non_null(strstr(find(&r, "NGDP-NEMSMS-LENGTH")->message, "161"));
    run_free(&r);
    free(xml);

    run_nemsms(&r, NOTE, "");
    expect(&r, "NGDP-NEMSMS-NOTIFICATION", KV_MEMO_ERROR, "<memo:MessageHeader>", HDR);
    run_free(&r);
    run_nemsms(&r, NOTE, "<memo:notification> </memo:notification>");
    expect(&r, "NGDP-NEMSMS-NOTIFICATION", KV_MEMO_ERROR, "<memo:notification>",
           HDR "/memo:notification");
    run_free(&r);
    run_nemsms(&r, "</memo:MessageHeader>",
               "</memo:MessageHeader>\n<memo:MessageBody><memo:createdDateTime>"
               "2024-05-03T12:00:00Z</memo:createdDateTime></memo:MessageBody>");
    expect(&r, "NGDP-NEMSMS-BODY", KV_MEMO_ERROR, "<memo:MessageBody>",
           "/memo:Message/memo:MessageBody");
    run_free(&r);
}

static void test_digitalpost_body(void **state)
{
    struct run r;
    char *base = min12(), *cut = strstr(base, "\t<memo:MessageBody>"), *end;

    (void)state;
    assert_non_null(cut);
    end = strstr(cut, "</memo:MessageBody>") + strlen("</memo:MessageBody>");
    memmove(cut, end, strlen(end) + 1);
    run_str(&r, base);
    expect(&r, "NGDP-DIGITALPOST-BODY", KV_MEMO_ERROR, "<memo:Message ", "/memo:Message");
    assert_int_equal(r.d.n_errors, 1);
    run_free(&r);
    free(base);
}

static void test_reply_by(void **state)
{
    struct run r;

    (void)state;
    run_min(&r, "<memo:label>Pladsanvisning</memo:label>",
            "<memo:label>Pladsanvisning</memo:label>\n<memo:reply>false</memo:reply>\n"
            "<memo:replyByDateTime>2024-06-01T10:00:00Z</memo:replyByDateTime>");
    expect(&r, "NGDP-REPLYBY-WITHOUT-REPLY", KV_MEMO_WARNING, "<memo:replyByDateTime>",
           HDR "/memo:replyByDateTime");
    expect_no_errors(&r);
    run_free(&r);
    run_min(&r, "<memo:label>Pladsanvisning</memo:label>",
            "<memo:label>Pladsanvisning</memo:label>\n<memo:reply> true </memo:reply>\n"
            "<memo:replyByDateTime>2024-06-01T10:00:00Z</memo:replyByDateTime>");
    assert_int_equal(r.d.n, 1); /* only the CVR warning of the base letter */
    expect_none(&r, "NGDP-REPLYBY-WITHOUT-REPLY");
    run_free(&r);
}

static void test_address(void **state)
{
    struct run r;
    const char *addr = "<grd:Address><grd:city>Aalborg</grd:city></grd:Address>";
    const char *unstr = "<grd:UnstructuredAddress>\n<grd:unstructured>Bakketoppen 6"
                        "</grd:unstructured></grd:UnstructuredAddress>";
    char *xml;

    (void)state;
    xml = kv_xasprintf("</memo:Recipient>\n<memo:ContentData xmlns:grd=\"" KV_GRD_NS "\">%s%s"
                       "</memo:ContentData>",
                       addr, unstr);
    run_min(&r, "</memo:Recipient>", xml);
    expect(&r, "NGDP-ADDRESS-UNSTRUCTURED", KV_MEMO_WARNING, "<grd:UnstructuredAddress>",
           HDR "/memo:ContentData/grd:UnstructuredAddress");
    expect_no_errors(&r);
    run_free(&r);
    free(xml);
    xml = kv_xasprintf("</memo:Recipient>\n<memo:ContentData xmlns:grd=\"" KV_GRD_NS "\">%s"
                       "</memo:ContentData>",
                       unstr);
    run_min(&r, "</memo:Recipient>", xml);
    expect_none(&r, "NGDP-ADDRESS-UNSTRUCTURED");
    run_free(&r);
    free(xml);
}

/* ---------------------------------------------------------------- robustness */

static void test_prefixes_are_arbitrary(void **state)
{
    struct run r;
    char *a = min12(), *b;
    char *p;

    (void)state;
    /* default namespace instead of the memo: prefix */
    while ((p = strstr(a, "memo:")))
        memmove(p, p + 5, strlen(p + 5) + 1);
    b = subst(a, "xmlns:memo=", "xmlns=");
    free(a);
    a = subst(b, "8C2EA15D-61FB-4BA9", "8C2EA15D-61FB-3BA9");
    run_str(&r, a);
    expect(&r, "NGDP-UUID-V4", KV_MEMO_ERROR, "<messageUUID>",
           "/*/*[1]/*[2]"); /* libxml2 writes default-namespace paths positionally */
    run_free(&r);
    free(a);
    free(b);
    /* elements with the right local name in another namespace are ignored */
    run_min(&r, "<memo:messageUUID>8C2EA15D-61FB-4BA9-9366-42F8B194C114</memo:messageUUID>",
            "<memo:messageUUID>8C2EA15D-61FB-4BA9-9366-42F8B194C114</memo:messageUUID>"
            "<x:messageUUID xmlns:x=\"urn:other\">nope</x:messageUUID>");
    expect_none(&r, "NGDP-UUID-V4");
    run_free(&r);
}

static void test_defensive(void **state)
{
    static const char *const docs[] = {
        "<a/>",
        "<memo:Message xmlns:memo=\"" KV_MEMO_NS "\"/>",
        "<memo:Message xmlns:memo=\"" KV_MEMO_NS "\"><memo:MessageHeader/></memo:Message>",
        "<memo:Message xmlns:memo=\"" KV_MEMO_NS "\"><memo:MessageHeader><memo:messageType>"
        "NEMSMS</memo:messageType><memo:Sender/><memo:Recipient><memo:idType/></memo:Recipient>"
        "</memo:MessageHeader><memo:MessageBody><memo:MainDocument><memo:File/><memo:Action/>"
        "<memo:Action><memo:Reservation><memo:startDateTime/></memo:Reservation>"
        "<memo:EntryPoint/></memo:Action></memo:MainDocument></memo:MessageBody>"
        "<memo:MessageBody/></memo:Message>",
        /* wrong order, unknown elements, misplaced leaves */
        "<memo:Message xmlns:memo=\"" KV_MEMO_NS "\"><memo:MessageBody><memo:File>"
        "<memo:content>@@</memo:content><memo:filename/><memo:filename>x</memo:filename>"
        "</memo:File><memo:url>http://x</memo:url><memo:unknown><memo:File/></memo:unknown>"
        "</memo:MessageBody><memo:MessageHeader><memo:messageUUID/><memo:Sender><memo:idType>"
        "CVR</memo:idType></memo:Sender><memo:reply/><memo:replyByDateTime/>"
        "</memo:MessageHeader></memo:Message>",
        "<m:Message xmlns:m=\"" KV_MEMO_NS "\"><m:MessageHeader><m:messageType>DIGITALPOST"
        "</m:messageType></m:MessageHeader></m:Message>",
    };
    struct run r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        run_str(&r, docs[i]);
        run_free(&r);
    }
    /* the misplaced url (not inside EntryPoint) is not checked; the bad content is */
    run_str(&r, docs[4]);
    expect_none(&r, "NGDP-URL-HTTPS");
    assert_int_equal(count(&r, "NGDP-BASE64"), 1);
    assert_int_equal(count(&r, "NGDP-UUID-V4"), 1);
    assert_int_equal(count(&r, "NGDP-DATETIME-INVALID"), 1);
    run_free(&r);
    run_str(&r, docs[5]);
    expect(&r, "NGDP-DIGITALPOST-BODY", KV_MEMO_ERROR, "<m:Message", "/m:Message");
    run_free(&r);
    /* deep nesting is walked without recursion */
    {
        size_t depth = 1500, k;
        char *deep = kv_xmalloc(depth * 7 + 200), *o = deep;
        o += snprintf(o, 200, "<memo:Message xmlns:memo=\"%s\">", KV_MEMO_NS);
        for (k = 0; k < depth; k++)
            o += snprintf(o, 8, "<x>");
        o += snprintf(o, 64, "<memo:messageUUID>bad</memo:messageUUID>");
        for (k = 0; k < depth; k++)
            o += snprintf(o, 8, "</x>");
        snprintf(o, 32, "</memo:Message>");
        run_str(&r, deep);
        assert_int_equal(count(&r, "NGDP-UUID-V4"), 1);
        run_free(&r);
        free(deep);
    }
}

static void test_quote(void **state)
{
    char out[96];
    char longv[200];

    (void)state;
    kv__rules_quote(out, sizeof(out), "a\r\nb\"", 5);
    assert_string_equal(out, "\"a\\x0d\\x0ab\\x22\"");
    memset(longv, 'x', sizeof(longv));
    memcpy(longv + 59, "\xc3\xa6", 2); /* a two-byte character across the 60-byte cut */
    kv__rules_quote(out, sizeof(out), longv, sizeof(longv));
    assert_int_equal(strlen(out), 1 + 59 + 1 + 3);
    assert_int_equal(kv__rules_utf8_chars("\xc3\xa6\xe2\x82\xac"
                                          "a",
                                          6),
                     3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_pass),
        cmocka_unit_test(test_example_full11_only_https),
        cmocka_unit_test(test_examples_placeholder_ids),
        cmocka_unit_test(test_examples_defensive),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_action_code),
        cmocka_unit_test(test_reservation),
        cmocka_unit_test(test_cpr),
        cmocka_unit_test(test_cvr),
        cmocka_unit_test(test_representative_and_idtype),
        cmocka_unit_test(test_nemsms),
        cmocka_unit_test(test_digitalpost_body),
        cmocka_unit_test(test_reply_by),
        cmocka_unit_test(test_address),
        cmocka_unit_test(test_prefixes_are_arbitrary),
        cmocka_unit_test(test_defensive),
        cmocka_unit_test(test_quote),
    };
    int rc;

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
