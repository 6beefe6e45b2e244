"""Exit statuses and the exceptions that carry them to the command line.

Every user-facing failure is raised as one of these; the CLI prints its message
as one line and exits with its status, so no traceback ever reaches a user for
something that is their input's or their environment's fault.
"""

EXIT_CONFORMANT = 0
EXIT_USAGE = 2
EXIT_NONCONFORMANT = 3
EXIT_ERROR = 4

VERDICT_EXIT = {
    "conformant": EXIT_CONFORMANT,
    "non-conformant": EXIT_NONCONFORMANT,
    "error": EXIT_ERROR,
}


class HcabiError(Exception):
    """Base of the errors the CLI reports as one line."""

    exit_code = EXIT_ERROR


class UsageError(HcabiError):
    """The command line is wrong (exit 2)."""

    exit_code = EXIT_USAGE


class EnvError(HcabiError):
    """The environment or the suite is broken: missing or unreadable input
    files, a VMM that cannot start (exit 4)."""

    exit_code = EXIT_ERROR


class Rejected(HcabiError):
    """A gate or merge decision that is a 'no', not a malfunction (exit 3)."""

    exit_code = EXIT_NONCONFORMANT
