"""`python3 scripts/hcabi_mutate ...`: see cli.py and docs/mutation.md."""

import os
import sys

_SCRIPTS = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path[:0] = [_SCRIPTS, os.path.join(os.path.dirname(_SCRIPTS), "runners")]

from hcabi_mutate.cli import entry  # noqa: E402

if __name__ == "__main__":
    sys.exit(entry())
