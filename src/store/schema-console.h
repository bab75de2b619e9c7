/*
 * schema-console.h: the part of schema version 3 for Console: counts maintained on write.
 * Included only by migrate.c. Until version 3 is released it may change;
 * afterwards, add a new migration instead.
 */
#ifndef FB_SCHEMA_CONSOLE_H
#define FB_SCHEMA_CONSOLE_H

#define SCHEMA_V3_CONSOLE ""

#endif
