/*
** demangle.h - the atf_demangle(symbol) scalar (demangle.c): C++ and Rust
** symbol names demangled by libiberty; anything else comes back unchanged.
*/
#ifndef ATF_DEMANGLE_H
#define ATF_DEMANGLE_H
#include <sqlite3ext.h>

/* Registers atf_demangle(symbol) on DB; an SQLite result code. */
int demangle_register(sqlite3 *db);
#endif
