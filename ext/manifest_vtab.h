/* manifest_vtab.h - the atf_manifest table-valued function (manifest_vtab.c).
 */
#ifndef ATF_MANIFEST_VTAB_H
#define ATF_MANIFEST_VTAB_H
#include <sqlite3ext.h>

#include "vtab.h"
int manifest_vtab_register(sqlite3 *db, atf_conn *conn);
#endif
