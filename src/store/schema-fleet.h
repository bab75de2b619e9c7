/*
 * schema-fleet.h: the part of schema version 3 for Fleet: remote_exec, known host keys.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 */
#ifndef FB_SCHEMA_FLEET_H
#define FB_SCHEMA_FLEET_H

#define SCHEMA_V3_FLEET ""

#endif
