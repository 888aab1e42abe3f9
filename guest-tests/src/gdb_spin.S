/* gdb_target spinning until a debugger clears `spin` (tests/gdb.sh). */
#define SPIN 1
#include "gdb_target.S"
