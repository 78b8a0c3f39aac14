/* SPDX-License-Identifier: MIT
 *
 * model_int.h: libmemo-internal description of the MeMo element tree as data. Each struct of
 * model.h has a struct kv__memo_type listing its child elements in XSD sequence order with
 * namespace, local name, kind, cardinality and the offset of the C field. The reader, writer,
 * free and equality code (read.c, write.c, model.c) are generic walks over these tables, so the
 * tree is described once. Only src/memo/ includes this.
 */
#ifndef KV_MEMO_MODEL_INT_H
#define KV_MEMO_MODEL_INT_H

#include <stddef.h>

enum kv__memo_ns {
    KV__NS_MEMO = 0, /* https://DigitalPost.dk/MeMo-1 */
    KV__NS_GRD,      /* https://data.gov.dk/model/core/ */
    KV__NS_GLN,      /* GS1 global location number */
    KV__NS_DMV,      /* https://motorregister.skat.dk/ */
    KV__NS_KLE,      /* http://kle-online.dk/ */
    KV__NS_FORM,     /* http://www.form-online.dk/ */
    KV__NS_SOR,      /* https://services.nsi.dk/en/Services/SOR */
    KV__NS_UDD,      /* DST education register */
    KV__NS_COUNT
};

extern const char *const kv__memo_ns_uri[KV__NS_COUNT];    /* namespace URIs */
extern const char *const kv__memo_ns_prefix[KV__NS_COUNT]; /* conventional prefixes */

enum kv__memo_kind {
    KV__K_TEXT,    /* char * at off */
    KV__K_BOOL,    /* enum kv_memo_bool at off */
    KV__K_CONTENT, /* struct kv_memo_file content fields (File/content) */
    KV__K_INLINE,  /* struct embedded at off ([1]) */
    KV__K_OPT,     /* struct pointer at off ([0..1]) */
    KV__K_LIST     /* struct array at off, size_t count at count_off ([0..n]) */
};

#define KV__F_REQ 0x1u    /* required in every version (list: at least one) */
#define KV__F_REQ11 0x2u  /* required in 1.1 only (boolean: default "false" written) */
#define KV__F_V12 0x4u    /* exists only from 1.2 */
#define KV__F_ENV 0x8u    /* read with KV_MEMO_READ_ENVELOPE (model.h) */

struct kv__memo_type;

struct kv__memo_field {
    unsigned char ns;                 /* enum kv__memo_ns */
    unsigned char kind;               /* enum kv__memo_kind */
    unsigned char flags;              /* KV__F_* */
    const char *name;                 /* local element name */
    size_t off;                       /* offset of the C field in the parent struct */
    size_t count_off;                 /* KV__K_LIST: offset of the size_t count */
    const struct kv__memo_type *type; /* KV__K_INLINE/OPT/LIST: child type */
};

struct kv__memo_type {
    const char *name;                   /* element name, for messages */
    size_t size;                        /* sizeof the C struct */
    const struct kv__memo_field *fields; /* children in XSD order */
    size_t n_fields;                    /* entries in fields */
};

/* MessageHeader (inline in the message) and MessageBody (optional). */
extern const struct kv__memo_type kv__memo_t_header;
extern const struct kv__memo_type kv__memo_t_body;

/* Frees what obj (of type t) owns, not obj itself. */
void kv__memo_obj_release(const struct kv__memo_type *t, void *obj);
/* Appends a zeroed element of size elem to *arr (count *n); returns it. */
void *kv__memo_array_push(void **arr, size_t *n, size_t elem);

#endif
