"""Process exit statuses, one meaning each (after httpie's ExitStatus)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # every row created or already there (or planned, in a dry run)
    FATAL = 1  # provider unreachable or failed for good; the report says how far it got
    USAGE = 2  # bad options or unreadable input: nothing was done
    ROWS_NEED_ATTENTION = 3  # finished, but some rows are invalid, unresolved or failed
    INTERRUPTED = 130  # Ctrl-C
