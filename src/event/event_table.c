/* event_table: the generated event, flag and name tables (event_table.inc). */
#include "event.h"

#include "event_table.inc"
