// SQLite (Debian: libsqlite3-dev): the full-text cache of subtitle cues (FTS5).
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which does not import into Swift.
static inline sqlite3_destructor_type vs_sqlite_transient(void) { return SQLITE_TRANSIENT; }
