/* SPDX-License-Identifier: MIT
 *
 * model.h: the C model of a MeMo message (versions 1.1 and 1.2, docs/memo-model.md) and the
 * functions that move between it and XML:
 *   kv_memo_read     parsed tree (struct kv_memo_doc from kv_memo_check) -> model
 *   kv_memo_write    model -> canonical XML (prefix "memo", XSD order) in a struct kv_buf
 *   kv_memo_build_*  make a letter from parts (src/memo/build.c)
 *   kv_memo_upgrade  1.1 -> 1.2 in place
 *
 * Ownership: one owner. Every pointer inside a struct kv_memo_message is owned by it and freed
 * by kv_memo_message_free(). Strings are NUL-terminated UTF-8 allocated with kv_xmalloc (free
 * with free()); replace them with kv_memo_str_set(). Optional elements are NULL when absent.
 * Arrays are `pointer + count` of structs (not of pointers); the kv_memo_*_add() helpers
 * append a zeroed element and return a borrowed pointer to it that is valid until the next add
 * on the same array. Element text is kept exactly as written (dates, UUIDs, numbers are
 * strings); only booleans are decoded (tri-state, because 1.2 made two of them optional).
 */
#ifndef KV_MEMO_MODEL_H
#define KV_MEMO_MODEL_H

#include <stddef.h>

#include "memo/memo.h"
#include "util/buf.h"
#include "util/err.h"

/* xs:boolean with "absent" (1.2 made mandatory/legalNotification optional). */
enum kv_memo_bool {
    KV_MEMO_BOOL_ABSENT = 0, /* element not present */
    KV_MEMO_BOOL_FALSE = 1,  /* "false" or "0" */
    KV_MEMO_BOOL_TRUE = 2    /* "true" or "1" */
};

#define KV_MEMO_DIGITALPOST "DIGITALPOST" /* messageType of a letter */
#define KV_MEMO_NEMSMS "NEMSMS"           /* messageType of an SMS (no MessageBody) */

/* ---- grd / gln / dmv / kle / form / sor / udd building blocks ---- */

struct kv_memo_address_point {  /* grd:AddressPoint */
    char *easting;              /* grd:geographicEastingMeasure [0..1] */
    char *northing;             /* grd:geographicNorthingMeasure [0..1] */
    char *height;               /* grd:geographicHeightMeasure [0..1] */
};

struct kv_memo_address {                     /* grd:Address (all children 0..1) */
    char *id;                                /* grd:id */
    char *address_label;                     /* grd:addressLabel (street name) */
    char *house_number;                      /* grd:houseNumber */
    char *door;                              /* grd:door */
    char *floor;                             /* grd:floor */
    char *co;                                /* grd:co */
    char *zip_code;                          /* grd:zipCode */
    char *city;                              /* grd:city */
    char *country;                           /* grd:country */
    struct kv_memo_address_point *point;     /* grd:AddressPoint [0..1] */
};

struct kv_memo_unstructured_address { /* grd:UnstructuredAddress */
    char *unstructured;               /* grd:unstructured [1] */
};

struct kv_memo_cpr_data { /* grd:CPRdata */
    char *cpr_number;     /* grd:cprNumber [1] */
    char *name;           /* grd:name [0..1] */
};

struct kv_memo_cvr_data { /* grd:CVRdata */
    char *cvr_number;     /* grd:cvrNumber [1] */
    char *company_name;   /* grd:companyName [0..1] */
};

struct kv_memo_motor_vehicle { /* dmv:MotorVehicle */
    char *license_number;      /* dmv:licenseNumber [1], max 7 */
    char *chassis_number;      /* dmv:chassisNumber [0..1] */
};

struct kv_memo_property_number { /* grd:PropertyNumber */
    char *property_number;       /* grd:propertyNumber [1] */
};

struct kv_memo_case_id { /* memo:CaseID */
    char *case_id;       /* caseID [1] */
    char *case_system;   /* caseSystem [1] */
};

struct kv_memo_kle_data { /* kle:KLEdata */
    char *subject_key;    /* kle:subjectKey [1] */
    char *version;        /* kle:version [1] */
    char *activity_facet; /* kle:activityFacet [0..1] */
    char *label;          /* kle:label [1] */
};

struct kv_memo_form_data { /* form:FORMdata */
    char *task_key;        /* form:taskKey [1] */
    char *version;         /* form:version [1] */
    char *activity_facet;  /* form:activityFacet [0..1] */
    char *label;           /* form:label [1] */
};

struct kv_memo_production_unit { /* grd:ProductionUnit */
    char *number;                /* grd:productionUnitNumber [1] (P-number) */
    char *name;                  /* grd:productionUnitName [0..1] */
};

struct kv_memo_education { /* udd:Education */
    char *code;            /* udd:educationCode [1] */
    char *name;            /* udd:educationName [0..1] */
};

struct kv_memo_additional_content_data { /* memo:AdditionalContentData */
    char *type;                          /* contentDataType [0..1] */
    char *name;                          /* contentDataName [1] */
    char *value;                         /* contentDataValue [1] */
};

struct kv_memo_content_data {                             /* memo:ContentData, XSD order */
    struct kv_memo_cpr_data *cpr_data;                    /* grd:CPRdata [0..1] */
    struct kv_memo_cvr_data *cvr_data;                    /* grd:CVRdata [0..1] */
    struct kv_memo_motor_vehicle *motor_vehicle;          /* dmv:MotorVehicle [0..1] */
    struct kv_memo_property_number *property_number;      /* grd:PropertyNumber [0..1] */
    struct kv_memo_case_id *case_id;                      /* CaseID [0..1] */
    struct kv_memo_kle_data *kle_data;                    /* kle:KLEdata [0..1] */
    struct kv_memo_form_data *form_data;                  /* form:FORMdata [0..1] */
    struct kv_memo_production_unit *production_unit;      /* grd:ProductionUnit [0..1] */
    struct kv_memo_education *education;                  /* udd:Education [0..1] */
    struct kv_memo_address *address;                      /* grd:Address [0..1] */
    struct kv_memo_unstructured_address *unstructured;    /* grd:UnstructuredAddress [0..1] */
    struct kv_memo_additional_content_data *additional;   /* AdditionalContentData [0..10] */
    size_t n_additional;                                  /* entries in additional */
};

/* ---- AttentionData ---- */

struct kv_memo_attention_person { /* memo:AttentionPerson */
    char *person_id;              /* personID [0..1] */
    char *label;                  /* label [0..1] */
};

struct kv_memo_gln { /* gln:GlobalLocationNumber */
    char *number;    /* gln:globalLocationNumber [1] (13 digits) */
    char *location;  /* gln:location [0..1] */
};

struct kv_memo_email {   /* memo:EMail */
    char *address;       /* emailAddress [1] */
    char *related_agent; /* relatedAgent [0..1] */
};

struct kv_memo_se_number { /* grd:SEnumber */
    char *number;          /* grd:seNumber [1] */
    char *company_name;    /* grd:companyName [0..1] */
};

struct kv_memo_telephone { /* memo:Telephone */
    char *number;          /* telephoneNumber [1] */
    char *related_agent;   /* relatedAgent [0..1] */
};

struct kv_memo_eid { /* grd:EID */
    char *eid;       /* grd:eID [1] */
    char *label;     /* grd:label [0..1] */
};

struct kv_memo_content_responsible { /* memo:ContentResponsible */
    char *id;                        /* contentResponsibleID [0..1] */
    char *label;                     /* label [0..1] */
};

struct kv_memo_generating_system { /* memo:GeneratingSystem */
    char *id;                      /* generatingSystemID [1] */
    char *label;                   /* label [0..1] */
};

struct kv_memo_sor_data { /* sor:SORdata */
    char *identifier;     /* sor:sorIdentifier [1] */
    char *entry_name;     /* sor:entryName [0..1] */
};

struct kv_memo_attention_data {                             /* memo:AttentionData, XSD order */
    struct kv_memo_attention_person *person;                /* AttentionPerson [0..1] */
    struct kv_memo_production_unit *production_unit;        /* grd:ProductionUnit [0..1] */
    struct kv_memo_gln *gln;                                /* gln:GlobalLocationNumber [0..1] */
    struct kv_memo_email *email;                            /* EMail [0..1] */
    struct kv_memo_se_number *se_number;                    /* grd:SEnumber [0..1] */
    struct kv_memo_telephone *telephone;                    /* Telephone [0..1] */
    struct kv_memo_eid *eid;                                /* grd:EID [0..1] */
    struct kv_memo_content_responsible *content_responsible; /* ContentResponsible [0..1] */
    struct kv_memo_generating_system *generating_system;    /* GeneratingSystem [0..1] */
    struct kv_memo_sor_data *sor_data;                      /* sor:SORdata [0..1] */
    struct kv_memo_address *address;                        /* grd:Address [0..1] */
    struct kv_memo_unstructured_address *unstructured;      /* grd:UnstructuredAddress [0..1] */
};

/* ---- Sender, Recipient ---- */

struct kv_memo_contact_info { /* memo:ContactInfo */
    char *label;              /* label [1] */
    char *value;              /* value [1] */
};

struct kv_memo_contact_point {            /* memo:ContactPoint */
    char *contact_group;                  /* contactGroup [0..1] */
    char *contact_point_id;               /* contactPointID [1] */
    char *label;                          /* label [0..1] */
    struct kv_memo_contact_info *info;    /* ContactInfo [0..2] */
    size_t n_info;                        /* entries in info */
};

struct kv_memo_representative { /* memo:Representative (1.2 only) */
    char *id;                   /* representativeID [1] */
    char *id_type;              /* idType [1] (CPR or CVR) */
    char *label;                /* label [1] */
};

struct kv_memo_sender {                           /* memo:Sender [1] */
    char *id;                                     /* senderID [1] */
    char *id_type;                                /* idType [1] (CVR, CPR, ...) */
    char *id_type_label;                          /* idTypeLabel [0..1] */
    char *label;                                  /* label [1] (sender's name) */
    struct kv_memo_attention_data *attention;     /* AttentionData [0..1] */
    struct kv_memo_contact_point *contact_point;  /* ContactPoint [0..1] */
    struct kv_memo_representative *representative; /* Representative [0..1], 1.2 only */
};

struct kv_memo_recipient {                        /* memo:Recipient [1] */
    char *id;                                     /* recipientID [1] */
    char *id_type;                                /* idType [1] (CPR, CVR) */
    char *id_type_label;                          /* idTypeLabel [0..1] */
    char *label;                                  /* label [0..1] (recipient's name) */
    struct kv_memo_attention_data *attention;     /* AttentionData [0..1] */
    struct kv_memo_contact_point *contact_point;  /* ContactPoint [0..1] */
};

/* ---- ForwardData, ReplyData ---- */

struct kv_memo_forward_data {        /* memo:ForwardData */
    char *message_uuid;              /* messageUUID [1] */
    char *original_date_time;        /* originalMessageDateTime [1] (UTC ...Z) */
    char *original_sender;           /* originalSender [1] */
    char *original_content_responsible; /* originalContentResponsible [0..1] */
    char *original_representative;   /* originalRepresentative [0..1], 1.2 only */
    char *contact_point_id;          /* contactPointID [0..1] */
    char *comment;                   /* comment [0..1] (max 512) */
};

struct kv_memo_additional_reply_data { /* memo:AdditionalReplyData */
    char *label;                       /* label [1] */
    char *value;                       /* value [1] */
};

struct kv_memo_reply_data {                         /* memo:ReplyData */
    char *message_id;                               /* messageID [0..1] */
    char *message_uuid;                             /* messageUUID [1] */
    char *reply_uuid;                               /* replyUUID [0..1] */
    char *sender_id;                                /* senderID [0..1] */
    char *recipient_id;                             /* recipientID [0..1] */
    char *case_id;                                  /* caseID [0..1] */
    char *contact_point_id;                         /* contactPointID [0..1] */
    char *generating_system_id;                     /* generatingSystemID [0..1] */
    char *comment;                                  /* comment [0..1] (max 512) */
    struct kv_memo_additional_reply_data *additional; /* AdditionalReplyData [0..4] */
    size_t n_additional;                            /* entries in additional */
};

/* ---- MessageHeader ---- */

struct kv_memo_header {                       /* memo:MessageHeader [1], XSD order */
    char *message_type;                       /* messageType [1]: DIGITALPOST or NEMSMS */
    char *message_uuid;                       /* messageUUID [1] (UUID v4) */
    char *message_id;                         /* messageID [0..1] */
    char *message_code;                       /* messageCode [0..1] */
    char *label;                              /* label [1] (title) */
    char *notification;                       /* notification [0..1] (SMS text for NEMSMS) */
    char *additional_notification;            /* additionalNotification [0..1] */
    enum kv_memo_bool reply;                  /* reply [0..1] */
    char *reply_by;                           /* replyByDateTime [0..1] (UTC ...Z) */
    char *do_not_deliver_until;               /* doNotDeliverUntilDate [0..1] (YYYY-MM-DD) */
    enum kv_memo_bool mandatory;              /* mandatory [1] in 1.1, [0..1] in 1.2 */
    enum kv_memo_bool legal_notification;     /* legalNotification [1] in 1.1, [0..1] in 1.2 */
    char *post_type;                          /* postType [0..1] (MYNDIGHEDSPOST, ...) */
    struct kv_memo_sender sender;             /* Sender [1] */
    struct kv_memo_recipient recipient;       /* Recipient [1] */
    struct kv_memo_content_data *content_data; /* ContentData [0..1] */
    struct kv_memo_forward_data *forward_data; /* ForwardData [0..1] */
    struct kv_memo_reply_data *reply_data;    /* ReplyData [0..n] */
    size_t n_reply_data;                      /* entries in reply_data */
};

/* ---- MessageBody ---- */

struct kv_memo_entry_point { /* memo:EntryPoint */
    char *url;               /* url [1] (absolute https URL per NgDP) */
};

struct kv_memo_reservation { /* memo:Reservation (calendar entry) */
    char *description;       /* description [1] */
    char *uuid;              /* reservationUUID [1] */
    char *abstract;          /* abstract [1] */
    char *location;          /* location [1] */
    char *start;             /* startDateTime [1] */
    char *end;               /* endDateTime [1] */
    char *organizer_mail;    /* organizerMail [0..1] */
    char *organizer_name;    /* organizerName [0..1] */
};

struct kv_memo_action {                       /* memo:Action */
    char *label;                              /* label [1] */
    char *action_code;                        /* actionCode [1] (AFTALE, SELVBETJENING, ...) */
    char *start;                              /* startDateTime [0..1] */
    char *end;                                /* endDateTime [0..1] */
    struct kv_memo_reservation *reservation;  /* Reservation [0..1]; not with entry_point */
    struct kv_memo_entry_point *entry_point;  /* EntryPoint [0..1]; not with reservation */
};

struct kv_memo_file {      /* memo:File */
    char *encoding_format; /* encodingFormat [1] (MIME type) */
    char *filename;        /* filename [1] */
    char *language;        /* language [1] (e.g. "da") */
    char *content;         /* content [1]: base64 text without whitespace; NULL when read
                              with KV_MEMO_READ_NO_CONTENT */
    size_t content_len;    /* strlen(content), also kept with KV_MEMO_READ_NO_CONTENT */
    size_t size;           /* decoded size in bytes; 0 when empty or not valid base64 */
};

/* MainDocument, AdditionalDocument and TechnicalDocument share this struct. */
struct kv_memo_document {          /* memo:MainDocument / AdditionalDocument / TechnicalDocument */
    char *id;                      /* mainDocumentID / additionalDocumentID /
                                      technicalDocumentID [0..1] */
    char *label;                   /* label [0..1] */
    struct kv_memo_file *files;    /* File [1..n] */
    size_t n_files;                /* entries in files */
    struct kv_memo_action *actions; /* Action [0..n]; always 0 for TechnicalDocument */
    size_t n_actions;              /* entries in actions */
};

struct kv_memo_body {                           /* memo:MessageBody */
    char *created;                              /* createdDateTime [1] (UTC ...Z) */
    struct kv_memo_document main;               /* MainDocument [1] */
    struct kv_memo_document *additional;        /* AdditionalDocument [0..n] */
    size_t n_additional;                        /* entries in additional */
    struct kv_memo_document *technical;         /* TechnicalDocument [0..n] */
    size_t n_technical;                         /* entries in technical */
};

struct kv_memo_message {         /* memo:Message */
    char *memo_version;          /* @memoVersion as written, e.g. "1.1", "1.2" */
    char *memo_sch_version;      /* @memoSchVersion ("1.1.0"); NULL when absent and always NULL
                                    for 1.2 (dropped by the reader) */
    struct kv_memo_header header; /* MessageHeader [1] */
    struct kv_memo_body *body;   /* MessageBody [0..1] (NULL for NemSMS) */
};

/* ---- lifetime, comparison, small helpers (model.c) ---- */

/* Returns a zeroed message (owned; free with kv_memo_message_free). Never NULL. */
struct kv_memo_message *kv_memo_message_new(void);
/* Frees msg and everything it owns; NULL-safe. */
void kv_memo_message_free(struct kv_memo_message *msg);

/* 1 when a and b hold the same data (NULL == absent; file content compared too), else 0.
 * kv_memo_message_diff does the same and, when they differ and where is non-NULL, writes the
 * path of the first difference (e.g. "MessageHeader/Sender/label") into where[0..where_len). */
int kv_memo_message_equal(const struct kv_memo_message *a, const struct kv_memo_message *b);
int kv_memo_message_diff(const struct kv_memo_message *a, const struct kv_memo_message *b,
                         char *where, size_t where_len);

/* Replaces the owned string *field with a copy of value (borrowed), or NULL when value is NULL. */
void kv_memo_str_set(char **field, const char *value);

/* memoVersion as a number, read as the xs:decimal the check reads: "1.1" -> 11, "1.2" -> 12,
 * "1.10", " 01.1 " and "+1.1" -> 11; -1 when not of that shape. */
int kv_memo_version_code(const char *version);

/* Append a zeroed element and return it (borrowed; valid until the next add on that array). */
struct kv_memo_file *kv_memo_document_add_file(struct kv_memo_document *doc);
struct kv_memo_action *kv_memo_document_add_action(struct kv_memo_document *doc);
struct kv_memo_document *kv_memo_body_add_additional(struct kv_memo_body *body);
struct kv_memo_document *kv_memo_body_add_technical(struct kv_memo_body *body);
struct kv_memo_reply_data *kv_memo_header_add_reply_data(struct kv_memo_header *h);

/* Sets f->content (owned copy), content_len and size from data[0..len) (borrowed), base64
 * encoding it. KV_ETOOBIG when the encoding would exceed KV_MEMO_DEFAULT_MAX_BYTES. */
int kv_memo_file_set_bytes(struct kv_memo_file *f, const void *data, size_t len,
                           struct kv_err *err);
/* Decodes f->content into *out (owned; free with free()), *out_len bytes. KV_ETOOBIG when
 * f->size exceeds max (checked before allocating), KV_EINVAL when the content was not loaded
 * (KV_MEMO_READ_NO_CONTENT) or is not valid base64. */
int kv_memo_file_decode(const struct kv_memo_file *f, size_t max, unsigned char **out,
                        size_t *out_len, struct kv_err *err);

/* ---- reader (read.c) ---- */

#define KV_MEMO_READ_NO_CONTENT 0x1u /* leave kv_memo_file.content NULL; sizes still set */
#define KV_MEMO_READ_HEADER_ONLY 0x2u /* read memo:Message attributes and MessageHeader only
                                         (msg->body stays NULL) */
/* With KV_MEMO_READ_HEADER_ONLY: only the header fields the send path reads (hub/letters.c
 * take_header, scope check, value date and memo_flags), each exactly as a full read gives it:
 * messageType, messageUUID, messageID, label, notification, additionalNotification, reply,
 * doNotDeliverUntilDate, legalNotification; Sender's senderID, idType, label, AttentionData
 * (with only ContentResponsible, itself empty) and Representative (representativeID, idType);
 * Recipient's recipientID, idType, label, AttentionData (likewise) and ContactPoint
 * (contactPointID); ContentData and each ReplyData present but empty. Everything else stays
 * NULL / 0. */
#define KV_MEMO_READ_ENVELOPE 0x4u

/* Builds the model of doc (borrowed; a schema check is not required: unknown elements are
 * ignored, duplicates of 0..1 elements after the first are ignored, missing ones stay NULL).
 * *out receives an owned message (free with kv_memo_message_free). KV_EINVAL when the root is
 * not memo:Message. */
int kv_memo_read(const struct kv_memo_doc *doc, unsigned flags, struct kv_memo_message **out,
                 struct kv_err *err);

/* 1 when a MainDocument or AdditionalDocument of doc (borrowed) holds an Action, else 0; a
 * walk over the body's element children only (for the usage statistics, hub/stats.h). */
int kv_memo_doc_has_actions(const struct kv_memo_doc *doc);

/* ---- writer (write.c) ---- */

#define KV_MEMO_WRITE_LENIENT 0x1u /* write what is there: skip the completeness checks */

/* Appends the canonical XML of msg (borrowed) to out (caller-initialised; its max bounds the
 * output): XML declaration, root memo:Message with all sub-namespaces declared under their
 * conventional prefixes, elements in XSD order, two-space indentation, memoSchVersion only for
 * 1.1 (msg->memo_sch_version or "1.1.0"). mandatory/legalNotification absent in a 1.1 message
 * are written as their default "false".
 * Unless KV_MEMO_WRITE_LENIENT: KV_EINVAL (err names the element) when a required element is
 * missing, a 1.2-only element is set in a 1.1 message, an Action has both Reservation and
 * EntryPoint, or file content is not loaded. Always: KV_EINVAL when a string is not valid
 * UTF-8 or holds a character XML 1.0 cannot carry; KV_ETOOBIG past out->max. On error out is
 * restored to its previous length. */
int kv_memo_write(const struct kv_memo_message *msg, unsigned flags, struct kv_buf *out,
                  struct kv_err *err);

/* ---- upgrade (upgrade.c) ---- */

/* Turns a 1.0/1.1 message into 1.2 in place: memoVersion "1.2", memoSchVersion dropped;
 * mandatory/legalNotification and everything else kept. A 1.2 message is left as is (only a
 * stray memo_sch_version is dropped). KV_EINVAL for any other memoVersion. */
int kv_memo_upgrade(struct kv_memo_message *msg, struct kv_err *err);

/* ---- builder (build.c) ---- */

/* Creates a message: memoVersion version ("1.1" or "1.2"; NULL means "1.2"; "1.1" also sets
 * memoSchVersion "1.1.0"), messageType message_type (KV_MEMO_DIGITALPOST or KV_MEMO_NEMSMS),
 * label (borrowed, required), a fresh random messageUUID (v4), for 1.1 mandatory and
 * legalNotification explicitly false (1.2 leaves them absent) and, for DIGITALPOST, a
 * MessageBody with createdDateTime = now in UTC ("YYYY-MM-DDTHH:MM:SSZ"). *out is owned (free
 * with kv_memo_message_free). */
int kv_memo_build_new(const char *version, const char *message_type, const char *label,
                      struct kv_memo_message **out, struct kv_err *err);
/* Sets Sender / Recipient (strings borrowed and copied; recipient label may be NULL). */
int kv_memo_build_sender(struct kv_memo_message *msg, const char *id, const char *id_type,
                         const char *label, struct kv_err *err);
int kv_memo_build_recipient(struct kv_memo_message *msg, const char *id, const char *id_type,
                            const char *label, struct kv_err *err);
/* Sets doNotDeliverUntilDate (value date); date must be a valid calendar date YYYY-MM-DD. */
int kv_memo_build_value_date(struct kv_memo_message *msg, const char *date, struct kv_err *err);
/* Appends a File to MainDocument from data[0..len) (borrowed; base64-encoded into the model).
 * mime NULL: guessed from filename's extension; language NULL: "da". Needs a MessageBody. */
int kv_memo_build_main_file(struct kv_memo_message *msg, const char *filename, const void *data,
                            size_t len, const char *mime, const char *language,
                            struct kv_err *err);
/* Appends an AdditionalDocument (label NULL: the filename) with one File, as above. */
int kv_memo_build_attachment(struct kv_memo_message *msg, const char *label,
                             const char *filename, const void *data, size_t len,
                             const char *mime, const char *language, struct kv_err *err);
/* Appends an Action with an EntryPoint url to MainDocument (label, action_code, url required). */
int kv_memo_build_action(struct kv_memo_message *msg, const char *label, const char *action_code,
                         const char *url, struct kv_err *err);
/* MIME type for filename's extension (case-insensitive), "application/octet-stream" when
 * unknown. Returns a static string. */
const char *kv_memo_guess_mime(const char *filename);
/* 1 when filename's extension (case-insensitive) is on NgDP's allow-list of file types and is
 * not an executable or macro type (the rules NGDP-FILE-EXT, NGDP-FILE-EXECUTABLE; the list is
 * in docs/memo-rules.md), else 0. rules_files.c. */
int kv_memo_file_ext_allowed(const char *filename);
/* The allow-listed extensions as ".pdf,.txt,..." into out (n bytes; 256 hold them all), e.g.
 * for a form's accept attribute and to name the allowed types. */
void kv_memo_file_ext_list(char *out, size_t n);
/* Writes a random lowercase UUID v4 (getrandom) into out. 0 or KV_EIO. */
int kv_memo_uuid_v4(char out[37], struct kv_err *err);
/* Writes the current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void kv_memo_now_utc(char out[21]);

#endif
