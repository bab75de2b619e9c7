/*
 * schema-cases.h: the part of schema version 3 for Cases and evidence: cases, case_events, blobs, evidence, custody.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 */
#ifndef FB_SCHEMA_CASES_H
#define FB_SCHEMA_CASES_H

#define SCHEMA_V3_CASES ""

#endif
