/* SPDX-License-Identifier: MIT
 *
 * model.c: the MeMo element tree as data (the kv__memo_type tables of model_int.h, one per
 * struct of model.h, children in XSD sequence order) and the generic operations over it:
 * freeing, equality with the path of the first difference, array append, plus the small
 * helpers of model.h (strings, version numbers, file content encode/decode).
 */
#include "memo/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memo/model_int.h"
#include "util/base64.h"
#include "util/xmalloc.h"

const char *const kv__memo_ns_uri[KV__NS_COUNT] = {
    "https://DigitalPost.dk/MeMo-1",
    "https://data.gov.dk/model/core/",
    "https://www.gs1.dk/gs1-standarder/identifikation/gln-global-location-number/",
    "https://motorregister.skat.dk/",
    "http://kle-online.dk/",
    "http://www.form-online.dk/",
    "https://services.nsi.dk/en/Services/SOR",
    ("https://www.dst.dk/da/TilSalg/Forskningsservice/Dokumentation/hoejkvalitetsvariable/"
     "elevregister-2/udd#"),
};

const char *const kv__memo_ns_prefix[KV__NS_COUNT] = {"memo", "grd", "gln", "dmv",
                                                       "kle",  "form", "sor", "udd"};

/* ---- table construction macros ---- */

#define M KV__NS_MEMO
#define G KV__NS_GRD
#define REQ KV__F_REQ
#define TXT(ns, name, S, f, fl) {ns, KV__K_TEXT, fl, name, offsetof(S, f), 0, NULL}
#define BOOLF(name, S, f, fl) {M, KV__K_BOOL, fl, name, offsetof(S, f), 0, NULL}
#define OPT(ns, name, S, f, T, fl) {ns, KV__K_OPT, fl, name, offsetof(S, f), 0, &T}
#define INL(ns, name, S, f, T) {ns, KV__K_INLINE, REQ, name, offsetof(S, f), 0, &T}
#define LIST(ns, name, S, f, n, T, fl)                                                         \
    {ns, KV__K_LIST, fl, name, offsetof(S, f), offsetof(S, n), &T}
#define TYPE(var, ename, S)                                                                   \
    static const struct kv__memo_type var = {ename, sizeof(S), var##_f,                      \
                                             sizeof(var##_f) / sizeof(var##_f[0])}

/* ---- grd and friends ---- */

static const struct kv__memo_field t_point_f[] = {
    TXT(G, "geographicEastingMeasure", struct kv_memo_address_point, easting, 0),
    TXT(G, "geographicNorthingMeasure", struct kv_memo_address_point, northing, 0),
    TXT(G, "geographicHeightMeasure", struct kv_memo_address_point, height, 0),
};
TYPE(t_point, "AddressPoint", struct kv_memo_address_point);

static const struct kv__memo_field t_address_f[] = {
    TXT(G, "id", struct kv_memo_address, id, 0),
    TXT(G, "addressLabel", struct kv_memo_address, address_label, 0),
    TXT(G, "houseNumber", struct kv_memo_address, house_number, 0),
    TXT(G, "door", struct kv_memo_address, door, 0),
    TXT(G, "floor", struct kv_memo_address, floor, 0),
    TXT(G, "co", struct kv_memo_address, co, 0),
    TXT(G, "zipCode", struct kv_memo_address, zip_code, 0),
    TXT(G, "city", struct kv_memo_address, city, 0),
    TXT(G, "country", struct kv_memo_address, country, 0),
    OPT(G, "AddressPoint", struct kv_memo_address, point, t_point, 0),
};
TYPE(t_address, "Address", struct kv_memo_address);

static const struct kv__memo_field t_unstructured_f[] = {
    TXT(G, "unstructured", struct kv_memo_unstructured_address, unstructured, REQ),
};
TYPE(t_unstructured, "UnstructuredAddress", struct kv_memo_unstructured_address);

static const struct kv__memo_field t_cpr_f[] = {
    TXT(G, "cprNumber", struct kv_memo_cpr_data, cpr_number, REQ),
    TXT(G, "name", struct kv_memo_cpr_data, name, 0),
};
TYPE(t_cpr, "CPRdata", struct kv_memo_cpr_data);

static const struct kv__memo_field t_cvr_f[] = {
    TXT(G, "cvrNumber", struct kv_memo_cvr_data, cvr_number, REQ),
    TXT(G, "companyName", struct kv_memo_cvr_data, company_name, 0),
};
TYPE(t_cvr, "CVRdata", struct kv_memo_cvr_data);

static const struct kv__memo_field t_motor_f[] = {
    TXT(KV__NS_DMV, "licenseNumber", struct kv_memo_motor_vehicle, license_number, REQ),
    TXT(KV__NS_DMV, "chassisNumber", struct kv_memo_motor_vehicle, chassis_number, 0),
};
TYPE(t_motor, "MotorVehicle", struct kv_memo_motor_vehicle);

static const struct kv__memo_field t_property_f[] = {
    TXT(G, "propertyNumber", struct kv_memo_property_number, property_number, REQ),
};
TYPE(t_property, "PropertyNumber", struct kv_memo_property_number);

static const struct kv__memo_field t_case_f[] = {
    TXT(M, "caseID", struct kv_memo_case_id, case_id, REQ),
    TXT(M, "caseSystem", struct kv_memo_case_id, case_system, REQ),
};
TYPE(t_case, "CaseID", struct kv_memo_case_id);

static const struct kv__memo_field t_kle_f[] = {
    TXT(KV__NS_KLE, "subjectKey", struct kv_memo_kle_data, subject_key, REQ),
    TXT(KV__NS_KLE, "version", struct kv_memo_kle_data, version, REQ),
    TXT(KV__NS_KLE, "activityFacet", struct kv_memo_kle_data, activity_facet, 0),
    TXT(KV__NS_KLE, "label", struct kv_memo_kle_data, label, REQ),
};
TYPE(t_kle, "KLEdata", struct kv_memo_kle_data);

static const struct kv__memo_field t_form_f[] = {
    TXT(KV__NS_FORM, "taskKey", struct kv_memo_form_data, task_key, REQ),
    TXT(KV__NS_FORM, "version", struct kv_memo_form_data, version, REQ),
    TXT(KV__NS_FORM, "activityFacet", struct kv_memo_form_data, activity_facet, 0),
    TXT(KV__NS_FORM, "label", struct kv_memo_form_data, label, REQ),
};
TYPE(t_form, "FORMdata", struct kv_memo_form_data);

static const struct kv__memo_field t_punit_f[] = {
    TXT(G, "productionUnitNumber", struct kv_memo_production_unit, number, REQ),
    TXT(G, "productionUnitName", struct kv_memo_production_unit, name, 0),
};
TYPE(t_punit, "ProductionUnit", struct kv_memo_production_unit);

static const struct kv__memo_field t_education_f[] = {
    TXT(KV__NS_UDD, "educationCode", struct kv_memo_education, code, REQ),
    TXT(KV__NS_UDD, "educationName", struct kv_memo_education, name, 0),
};
TYPE(t_education, "Education", struct kv_memo_education);

static const struct kv__memo_field t_acd_f[] = {
    TXT(M, "contentDataType", struct kv_memo_additional_content_data, type, 0),
    TXT(M, "contentDataName", struct kv_memo_additional_content_data, name, REQ),
    TXT(M, "contentDataValue", struct kv_memo_additional_content_data, value, REQ),
};
TYPE(t_acd, "AdditionalContentData", struct kv_memo_additional_content_data);

#define CD struct kv_memo_content_data
static const struct kv__memo_field t_content_f[] = {
    OPT(G, "CPRdata", CD, cpr_data, t_cpr, 0),
    OPT(G, "CVRdata", CD, cvr_data, t_cvr, 0),
    OPT(KV__NS_DMV, "MotorVehicle", CD, motor_vehicle, t_motor, 0),
    OPT(G, "PropertyNumber", CD, property_number, t_property, 0),
    OPT(M, "CaseID", CD, case_id, t_case, 0),
    OPT(KV__NS_KLE, "KLEdata", CD, kle_data, t_kle, 0),
    OPT(KV__NS_FORM, "FORMdata", CD, form_data, t_form, 0),
    OPT(G, "ProductionUnit", CD, production_unit, t_punit, 0),
    OPT(KV__NS_UDD, "Education", CD, education, t_education, 0),
    OPT(G, "Address", CD, address, t_address, 0),
    OPT(G, "UnstructuredAddress", CD, unstructured, t_unstructured, 0),
    LIST(M, "AdditionalContentData", CD, additional, n_additional, t_acd, 0),
};
TYPE(t_content, "ContentData", CD);
#undef CD

/* ---- AttentionData ---- */

static const struct kv__memo_field t_person_f[] = {
    TXT(M, "personID", struct kv_memo_attention_person, person_id, 0),
    TXT(M, "label", struct kv_memo_attention_person, label, 0),
};
TYPE(t_person, "AttentionPerson", struct kv_memo_attention_person);

static const struct kv__memo_field t_gln_f[] = {
    TXT(KV__NS_GLN, "globalLocationNumber", struct kv_memo_gln, number, REQ),
    TXT(KV__NS_GLN, "location", struct kv_memo_gln, location, 0),
};
TYPE(t_gln, "GlobalLocationNumber", struct kv_memo_gln);

static const struct kv__memo_field t_email_f[] = {
    TXT(M, "emailAddress", struct kv_memo_email, address, REQ),
    TXT(M, "relatedAgent", struct kv_memo_email, related_agent, 0),
};
TYPE(t_email, "EMail", struct kv_memo_email);

static const struct kv__memo_field t_se_f[] = {
    TXT(G, "seNumber", struct kv_memo_se_number, number, REQ),
    TXT(G, "companyName", struct kv_memo_se_number, company_name, 0),
};
TYPE(t_se, "SEnumber", struct kv_memo_se_number);

static const struct kv__memo_field t_phone_f[] = {
    TXT(M, "telephoneNumber", struct kv_memo_telephone, number, REQ),
    TXT(M, "relatedAgent", struct kv_memo_telephone, related_agent, 0),
};
TYPE(t_phone, "Telephone", struct kv_memo_telephone);

static const struct kv__memo_field t_eid_f[] = {
    TXT(G, "eID", struct kv_memo_eid, eid, REQ),
    TXT(G, "label", struct kv_memo_eid, label, 0),
};
TYPE(t_eid, "EID", struct kv_memo_eid);

static const struct kv__memo_field t_cresp_f[] = {
    TXT(M, "contentResponsibleID", struct kv_memo_content_responsible, id, 0),
    TXT(M, "label", struct kv_memo_content_responsible, label, 0),
};
TYPE(t_cresp, "ContentResponsible", struct kv_memo_content_responsible);

static const struct kv__memo_field t_gensys_f[] = {
    TXT(M, "generatingSystemID", struct kv_memo_generating_system, id, REQ),
    TXT(M, "label", struct kv_memo_generating_system, label, 0),
};
TYPE(t_gensys, "GeneratingSystem", struct kv_memo_generating_system);

static const struct kv__memo_field t_sor_f[] = {
    TXT(KV__NS_SOR, "sorIdentifier", struct kv_memo_sor_data, identifier, REQ),
    TXT(KV__NS_SOR, "entryName", struct kv_memo_sor_data, entry_name, 0),
};
TYPE(t_sor, "SORdata", struct kv_memo_sor_data);

#define AD struct kv_memo_attention_data
static const struct kv__memo_field t_attention_f[] = {
    OPT(M, "AttentionPerson", AD, person, t_person, 0),
    OPT(G, "ProductionUnit", AD, production_unit, t_punit, 0),
    OPT(KV__NS_GLN, "GlobalLocationNumber", AD, gln, t_gln, 0),
    OPT(M, "EMail", AD, email, t_email, 0),
    OPT(G, "SEnumber", AD, se_number, t_se, 0),
    OPT(M, "Telephone", AD, telephone, t_phone, 0),
    OPT(G, "EID", AD, eid, t_eid, 0),
    OPT(M, "ContentResponsible", AD, content_responsible, t_cresp, KV__F_ENV),
    OPT(M, "GeneratingSystem", AD, generating_system, t_gensys, 0),
    OPT(KV__NS_SOR, "SORdata", AD, sor_data, t_sor, 0),
    OPT(G, "Address", AD, address, t_address, 0),
    OPT(G, "UnstructuredAddress", AD, unstructured, t_unstructured, 0),
};
TYPE(t_attention, "AttentionData", AD);
#undef AD

/* ---- Sender, Recipient ---- */

static const struct kv__memo_field t_cinfo_f[] = {
    TXT(M, "label", struct kv_memo_contact_info, label, REQ),
    TXT(M, "value", struct kv_memo_contact_info, value, REQ),
};
TYPE(t_cinfo, "ContactInfo", struct kv_memo_contact_info);

static const struct kv__memo_field t_cpoint_f[] = {
    TXT(M, "contactGroup", struct kv_memo_contact_point, contact_group, 0),
    TXT(M, "contactPointID", struct kv_memo_contact_point, contact_point_id, REQ | KV__F_ENV),
    TXT(M, "label", struct kv_memo_contact_point, label, 0),
    LIST(M, "ContactInfo", struct kv_memo_contact_point, info, n_info, t_cinfo, 0),
};
TYPE(t_cpoint, "ContactPoint", struct kv_memo_contact_point);

static const struct kv__memo_field t_repr_f[] = {
    TXT(M, "representativeID", struct kv_memo_representative, id, REQ | KV__F_ENV),
    TXT(M, "idType", struct kv_memo_representative, id_type, REQ | KV__F_ENV),
    TXT(M, "label", struct kv_memo_representative, label, REQ),
};
TYPE(t_repr, "Representative", struct kv_memo_representative);

static const struct kv__memo_field t_sender_f[] = {
    TXT(M, "senderID", struct kv_memo_sender, id, REQ | KV__F_ENV),
    TXT(M, "idType", struct kv_memo_sender, id_type, REQ | KV__F_ENV),
    TXT(M, "idTypeLabel", struct kv_memo_sender, id_type_label, 0),
    TXT(M, "label", struct kv_memo_sender, label, REQ | KV__F_ENV),
    OPT(M, "AttentionData", struct kv_memo_sender, attention, t_attention, KV__F_ENV),
    OPT(M, "ContactPoint", struct kv_memo_sender, contact_point, t_cpoint, 0),
    OPT(M, "Representative", struct kv_memo_sender, representative, t_repr, KV__F_V12 | KV__F_ENV),
};
TYPE(t_sender, "Sender", struct kv_memo_sender);

static const struct kv__memo_field t_recipient_f[] = {
    TXT(M, "recipientID", struct kv_memo_recipient, id, REQ | KV__F_ENV),
    TXT(M, "idType", struct kv_memo_recipient, id_type, REQ | KV__F_ENV),
    TXT(M, "idTypeLabel", struct kv_memo_recipient, id_type_label, 0),
    TXT(M, "label", struct kv_memo_recipient, label, KV__F_ENV),
    OPT(M, "AttentionData", struct kv_memo_recipient, attention, t_attention, KV__F_ENV),
    OPT(M, "ContactPoint", struct kv_memo_recipient, contact_point, t_cpoint, KV__F_ENV),
};
TYPE(t_recipient, "Recipient", struct kv_memo_recipient);

/* ---- ForwardData, ReplyData, MessageHeader ---- */

#define FD struct kv_memo_forward_data
static const struct kv__memo_field t_forward_f[] = {
    TXT(M, "messageUUID", FD, message_uuid, REQ),
    TXT(M, "originalMessageDateTime", FD, original_date_time, REQ),
    TXT(M, "originalSender", FD, original_sender, REQ),
    TXT(M, "originalContentResponsible", FD, original_content_responsible, 0),
    TXT(M, "originalRepresentative", FD, original_representative, KV__F_V12),
    TXT(M, "contactPointID", FD, contact_point_id, 0),
    TXT(M, "comment", FD, comment, 0),
};
TYPE(t_forward, "ForwardData", FD);
#undef FD

static const struct kv__memo_field t_ard_f[] = {
    TXT(M, "label", struct kv_memo_additional_reply_data, label, REQ),
    TXT(M, "value", struct kv_memo_additional_reply_data, value, REQ),
};
TYPE(t_ard, "AdditionalReplyData", struct kv_memo_additional_reply_data);

#define RD struct kv_memo_reply_data
static const struct kv__memo_field t_reply_f[] = {
    TXT(M, "messageID", RD, message_id, 0),
    TXT(M, "messageUUID", RD, message_uuid, REQ),
    TXT(M, "replyUUID", RD, reply_uuid, 0),
    TXT(M, "senderID", RD, sender_id, 0),
    TXT(M, "recipientID", RD, recipient_id, 0),
    TXT(M, "caseID", RD, case_id, 0),
    TXT(M, "contactPointID", RD, contact_point_id, 0),
    TXT(M, "generatingSystemID", RD, generating_system_id, 0),
    TXT(M, "comment", RD, comment, 0),
    LIST(M, "AdditionalReplyData", RD, additional, n_additional, t_ard, 0),
};
TYPE(t_reply, "ReplyData", RD);
#undef RD

#define H struct kv_memo_header
static const struct kv__memo_field t_header_f[] = {
    TXT(M, "messageType", H, message_type, REQ | KV__F_ENV),
    TXT(M, "messageUUID", H, message_uuid, REQ | KV__F_ENV),
    TXT(M, "messageID", H, message_id, KV__F_ENV),
    TXT(M, "messageCode", H, message_code, 0),
    TXT(M, "label", H, label, REQ | KV__F_ENV),
    TXT(M, "notification", H, notification, KV__F_ENV),
    TXT(M, "additionalNotification", H, additional_notification, KV__F_ENV),
    BOOLF("reply", H, reply, KV__F_ENV),
    TXT(M, "replyByDateTime", H, reply_by, 0),
    TXT(M, "doNotDeliverUntilDate", H, do_not_deliver_until, KV__F_ENV),
    BOOLF("mandatory", H, mandatory, KV__F_REQ11),
    BOOLF("legalNotification", H, legal_notification, KV__F_REQ11 | KV__F_ENV),
    TXT(M, "postType", H, post_type, 0),
    INL(M, "Sender", H, sender, t_sender),
    INL(M, "Recipient", H, recipient, t_recipient),
    OPT(M, "ContentData", H, content_data, t_content, KV__F_ENV),
    OPT(M, "ForwardData", H, forward_data, t_forward, 0),
    LIST(M, "ReplyData", H, reply_data, n_reply_data, t_reply, KV__F_ENV),
};
const struct kv__memo_type kv__memo_t_header = {"MessageHeader", sizeof(H), t_header_f,
                                                 sizeof(t_header_f) / sizeof(t_header_f[0])};
#undef H

/* ---- MessageBody ---- */

static const struct kv__memo_field t_entry_f[] = {
    TXT(M, "url", struct kv_memo_entry_point, url, REQ),
};
TYPE(t_entry, "EntryPoint", struct kv_memo_entry_point);

#define RS struct kv_memo_reservation
static const struct kv__memo_field t_reservation_f[] = {
    TXT(M, "description", RS, description, REQ),
    TXT(M, "reservationUUID", RS, uuid, REQ),
    TXT(M, "abstract", RS, abstract, REQ),
    TXT(M, "location", RS, location, REQ),
    TXT(M, "startDateTime", RS, start, REQ),
    TXT(M, "endDateTime", RS, end, REQ),
    TXT(M, "organizerMail", RS, organizer_mail, 0),
    TXT(M, "organizerName", RS, organizer_name, 0),
};
TYPE(t_reservation, "Reservation", RS);
#undef RS

static const struct kv__memo_field t_action_f[] = {
    TXT(M, "label", struct kv_memo_action, label, REQ),
    TXT(M, "actionCode", struct kv_memo_action, action_code, REQ),
    TXT(M, "startDateTime", struct kv_memo_action, start, 0),
    TXT(M, "endDateTime", struct kv_memo_action, end, 0),
    OPT(M, "Reservation", struct kv_memo_action, reservation, t_reservation, 0),
    OPT(M, "EntryPoint", struct kv_memo_action, entry_point, t_entry, 0),
};
TYPE(t_action, "Action", struct kv_memo_action);

static const struct kv__memo_field t_file_f[] = {
    TXT(M, "encodingFormat", struct kv_memo_file, encoding_format, REQ),
    TXT(M, "filename", struct kv_memo_file, filename, REQ),
    TXT(M, "language", struct kv_memo_file, language, REQ),
    {M, KV__K_CONTENT, REQ, "content", 0, 0, NULL},
};
TYPE(t_file, "File", struct kv_memo_file);

#define D struct kv_memo_document
static const struct kv__memo_field t_main_f[] = {
    TXT(M, "mainDocumentID", D, id, 0),
    TXT(M, "label", D, label, 0),
    LIST(M, "File", D, files, n_files, t_file, REQ),
    LIST(M, "Action", D, actions, n_actions, t_action, 0),
};
TYPE(t_main, "MainDocument", D);

static const struct kv__memo_field t_additional_f[] = {
    TXT(M, "additionalDocumentID", D, id, 0),
    TXT(M, "label", D, label, 0),
    LIST(M, "File", D, files, n_files, t_file, REQ),
    LIST(M, "Action", D, actions, n_actions, t_action, 0),
};
TYPE(t_additional, "AdditionalDocument", D);

static const struct kv__memo_field t_technical_f[] = {
    TXT(M, "technicalDocumentID", D, id, 0),
    TXT(M, "label", D, label, 0),
    LIST(M, "File", D, files, n_files, t_file, REQ),
};
TYPE(t_technical, "TechnicalDocument", D);
#undef D

#define B struct kv_memo_body
static const struct kv__memo_field t_body_f[] = {
    TXT(M, "createdDateTime", B, created, REQ),
    INL(M, "MainDocument", B, main, t_main),
    LIST(M, "AdditionalDocument", B, additional, n_additional, t_additional, 0),
    LIST(M, "TechnicalDocument", B, technical, n_technical, t_technical, 0),
};
const struct kv__memo_type kv__memo_t_body = {"MessageBody", sizeof(B), t_body_f,
                                               sizeof(t_body_f) / sizeof(t_body_f[0])};
#undef B

/* ---- generic operations ---- */

#define AT(obj, off) ((char *)(obj) + (off))
#define CAT(obj, off) ((const char *)(obj) + (off))

void kv__memo_obj_release(const struct kv__memo_type *t, void *obj)
{
    size_t i, k;

    for (i = 0; i < t->n_fields; i++) {
        const struct kv__memo_field *f = &t->fields[i];
        switch (f->kind) {
        case KV__K_TEXT:
            free(*(char **)AT(obj, f->off));
            break;
        case KV__K_CONTENT:
            free(((struct kv_memo_file *)obj)->content);
            break;
        case KV__K_INLINE:
            kv__memo_obj_release(f->type, AT(obj, f->off));
            break;
        case KV__K_OPT: {
            void *child = *(void **)AT(obj, f->off);
            if (child)
                kv__memo_obj_release(f->type, child);
            free(child);
            break;
        }
        case KV__K_LIST: {
            char *arr = *(char **)AT(obj, f->off);
            size_t n = *(size_t *)AT(obj, f->count_off);
            for (k = 0; k < n; k++)
                kv__memo_obj_release(f->type, arr + k * f->type->size);
            free(arr);
            break;
        }
        default:
            break;
        }
    }
}

void *kv__memo_array_push(void **arr, size_t *n, size_t elem)
{
    char *p;

    /* Grow to the next power of two: capacity is implied by the count. */
    if (*n == 0 || (*n & (*n - 1)) == 0)
        *arr = kv_xrealloc(*arr, (*n ? *n * 2 : 1) * elem);
    p = (char *)*arr + *n * elem;
    memset(p, 0, elem);
    (*n)++;
    return p;
}

struct kv_memo_message *kv_memo_message_new(void)
{
    return kv_xcalloc(1, sizeof(struct kv_memo_message));
}

void kv_memo_message_free(struct kv_memo_message *msg)
{
    if (!msg)
        return;
    free(msg->memo_version);
    free(msg->memo_sch_version);
    kv__memo_obj_release(&kv__memo_t_header, &msg->header);
    if (msg->body)
        kv__memo_obj_release(&kv__memo_t_body, msg->body);
    free(msg->body);
    free(msg);
}

/* Records the first difference: path + "/" + name (+ "[i]"). Always returns 0 (unequal). */
static int differ(char *where, size_t where_len, const char *path, const char *name, long idx)
{
    if (where && where_len) {
        int r = idx >= 0 ? snprintf(where, where_len, "%s/%s[%ld]", path, name, idx + 1)
                         : snprintf(where, where_len, "%s/%s", path, name);
        if (r < 0)
            where[0] = '\0'; /* truncation is fine: the prefix still helps */
    }
    return 0;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int obj_equal(const struct kv__memo_type *t, const void *a, const void *b,
                     const char *path, char *where, size_t where_len);

/* Compares one child of a and b; returns 1 when equal. */
static int field_equal(const struct kv__memo_field *f, const void *a, const void *b,
                       const char *path, char *where, size_t where_len)
{
    char sub[512];
    size_t k;

    switch (f->kind) {
    case KV__K_TEXT:
        if (!str_eq(*(char *const *)CAT(a, f->off), *(char *const *)CAT(b, f->off)))
            return differ(where, where_len, path, f->name, -1);
        return 1;
    case KV__K_BOOL:
        if (*(const enum kv_memo_bool *)CAT(a, f->off) !=
            *(const enum kv_memo_bool *)CAT(b, f->off))
            return differ(where, where_len, path, f->name, -1);
        return 1;
    case KV__K_CONTENT: {
        const struct kv_memo_file *fa = a, *fb = b;
        if (fa->size != fb->size || fa->content_len != fb->content_len ||
            !str_eq(fa->content, fb->content))
            return differ(where, where_len, path, f->name, -1);
        return 1;
    }
    default:
        break;
    }
    snprintf(sub, sizeof sub, "%s/%s", path, f->name); /* truncation only shortens messages */
    if (f->kind == KV__K_INLINE)
        return obj_equal(f->type, CAT(a, f->off), CAT(b, f->off), sub, where, where_len);
    if (f->kind == KV__K_OPT) {
        const void *ca = *(void *const *)CAT(a, f->off), *cb = *(void *const *)CAT(b, f->off);
        if (!ca || !cb) {
            if (ca == cb)
                return 1;
            return differ(where, where_len, path, f->name, -1);
        }
        return obj_equal(f->type, ca, cb, sub, where, where_len);
    }
    /* KV__K_LIST */
    {
        const char *aa = *(char *const *)CAT(a, f->off), *ab = *(char *const *)CAT(b, f->off);
        size_t na = *(const size_t *)CAT(a, f->count_off);
        size_t nb = *(const size_t *)CAT(b, f->count_off);
        if (na != nb)
            return differ(where, where_len, path, f->name, -1);
        for (k = 0; k < na; k++) {
            snprintf(sub, sizeof sub, "%s/%s[%zu]", path, f->name, k + 1);
            if (!obj_equal(f->type, aa + k * f->type->size, ab + k * f->type->size, sub, where,
                           where_len))
                return 0;
        }
        return 1;
    }
}

static int obj_equal(const struct kv__memo_type *t, const void *a, const void *b,
                     const char *path, char *where, size_t where_len)
{
    size_t i;

    for (i = 0; i < t->n_fields; i++)
        if (!field_equal(&t->fields[i], a, b, path, where, where_len))
            return 0;
    return 1;
}

int kv_memo_message_diff(const struct kv_memo_message *a, const struct kv_memo_message *b,
                         char *where, size_t where_len)
{
    if (where && where_len)
        where[0] = '\0';
    if (!a || !b) {
        if (a == b)
            return 1;
        return differ(where, where_len, "", "Message", -1);
    }
    if (!str_eq(a->memo_version, b->memo_version))
        return differ(where, where_len, "", "@memoVersion", -1);
    if (!str_eq(a->memo_sch_version, b->memo_sch_version))
        return differ(where, where_len, "", "@memoSchVersion", -1);
    if (!obj_equal(&kv__memo_t_header, &a->header, &b->header, "/MessageHeader", where,
                   where_len))
        return 0;
    if (!a->body || !b->body) {
        if (a->body == b->body)
            return 1;
        return differ(where, where_len, "", "MessageBody", -1);
    }
    return obj_equal(&kv__memo_t_body, a->body, b->body, "/MessageBody", where, where_len);
}

int kv_memo_message_equal(const struct kv_memo_message *a, const struct kv_memo_message *b)
{
    return kv_memo_message_diff(a, b, NULL, 0);
}

void kv_memo_str_set(char **field, const char *value)
{
    char *copy = value ? kv_xstrdup(value) : NULL;

    free(*field);
    *field = copy;
}

int kv_memo_version_code(const char *v)
{
    long major = 0, minor = 0;
    size_t nd = 0, nf = 0;
    const char *p;

    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    if (*v == '+') /* xs:decimal allows the sign, and the check (parse.c) reads it so */
        v++;
    for (p = v; *p >= '0' && *p <= '9'; p++, nd++)
        if (nd < 4)
            major = major * 10 + (*p - '0');
    if (nd == 0 || nd > 4)
        return -1;
    if (*p == '.') {
        const char *fs = ++p, *fe;
        while (*p >= '0' && *p <= '9')
            p++;
        fe = p;
        while (fe > fs && fe[-1] == '0')
            fe--; /* "1.10" == "1.1" as xs:decimal */
        nf = (size_t)(fe - fs);
        if (nf > 1)
            return -1;
        if (nf == 1)
            minor = fs[0] - '0';
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p != '\0' || major > 99)
        return -1;
    return (int)(major * 10 + minor);
}

struct kv_memo_file *kv_memo_document_add_file(struct kv_memo_document *doc)
{
    return kv__memo_array_push((void **)&doc->files, &doc->n_files, sizeof *doc->files);
}

struct kv_memo_action *kv_memo_document_add_action(struct kv_memo_document *doc)
{
    return kv__memo_array_push((void **)&doc->actions, &doc->n_actions, sizeof *doc->actions);
}

struct kv_memo_document *kv_memo_body_add_additional(struct kv_memo_body *body)
{
    return kv__memo_array_push((void **)&body->additional, &body->n_additional,
                               sizeof *body->additional);
}

struct kv_memo_document *kv_memo_body_add_technical(struct kv_memo_body *body)
{
    return kv__memo_array_push((void **)&body->technical, &body->n_technical,
                               sizeof *body->technical);
}

struct kv_memo_reply_data *kv_memo_header_add_reply_data(struct kv_memo_header *h)
{
    return kv__memo_array_push((void **)&h->reply_data, &h->n_reply_data, sizeof *h->reply_data);
}

int kv_memo_file_set_bytes(struct kv_memo_file *f, const void *data, size_t len,
                           struct kv_err *err)
{
    char *enc;
    size_t enc_len;
    int rc = kv_b64_encode(data, len, KV_MEMO_DEFAULT_MAX_BYTES, &enc, &enc_len);

    if (rc < 0)
        return kv_err_set(err, rc, "file of %zu bytes is too large for a MeMo message", len);
    free(f->content);
    f->content = enc;
    f->content_len = enc_len;
    f->size = len;
    return 0;
}

int kv_memo_file_decode(const struct kv_memo_file *f, size_t max, unsigned char **out,
                        size_t *out_len, struct kv_err *err)
{
    int rc;

    if (!f->content)
        return kv_err_set(err, KV_EINVAL, "file content was not loaded");
    if (f->size > max)
        return kv_err_set(err, KV_ETOOBIG, "file of %zu bytes exceeds the limit of %zu",
                          f->size, max);
    rc = kv_b64_decode(f->content, f->content_len, max, out, out_len);
    if (rc == KV_EINVAL)
        return kv_err_set(err, rc, "file content is not valid base64");
    if (rc < 0)
        return kv_err_set(err, rc, "decoded file exceeds the limit of %zu bytes", max);
    return 0;
}
