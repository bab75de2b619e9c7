/*
 * schema-registry.h: the part of schema version 3 for Gateway detection: keys, models, per-key baselines.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 */
#ifndef FB_SCHEMA_REGISTRY_H
#define FB_SCHEMA_REGISTRY_H

#define SCHEMA_V3_REGISTRY ""

#endif
