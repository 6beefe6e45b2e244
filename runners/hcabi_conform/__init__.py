"""hcabi-conform: boots the HCABI conformance images on a target, reads the
results the guests report over the serial port, writes reports and gates CI on
a spec version.

The package is deliberately standard-library only: it must run under any
Python 3.11 a vendor has, including a fresh Debian's /usr/bin/python3 with no
extra packages.
"""

__version__ = "1.0.0"

# Version of the JSON report format; bump when a field changes meaning.
REPORT_FORMAT = "hcabi-conform-report"
REPORT_FORMAT_VERSION = 1
