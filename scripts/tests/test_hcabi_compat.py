"""Tests of scripts/hcabi_compat.py, the compatibility checker.

Every test builds registries in tmp_path from the frozen 1.0 snapshot
(spec/registry/releases/1.0), which never changes, so the tests do not depend on
what the current registry holds. A legitimate 1.1 must pass; each kind of break
must produce its exact message and exit status 1.

Run with Debian's interpreter: /usr/bin/python3 -m pytest scripts/tests/test_hcabi_compat.py
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))

import hcabi_compat as hc  # noqa: E402

BASE = SCRIPTS.parent / "spec" / "registry" / "releases" / "1.0"

Edit = Callable[[Path], None]


# ---------------------------------------------------------------------------
# Building registries

def registry(tmp_path: Path, name: str, *edits: Edit) -> Path:
    root = tmp_path / name
    shutil.copytree(BASE, root)
    for edit in edits:
        edit(root)
    return root


def sub(file: str, old: str, new: str, count: int = 1) -> Edit:
    """Replace `old`, which must occur exactly `count` times (0: any number, at least once)."""
    def edit(root: Path) -> None:
        p = root / file
        text = p.read_text()
        n = text.count(old)
        assert n >= 1 and (count == 0 or n == count), f"{file}: {old!r} occurs {n} times"
        p.write_text(text.replace(old, new))  # every occurrence, `count` of them
    return edit


def append(file: str, text: str) -> Edit:
    """Append `text` to `file` (a new file if there is none)."""
    def edit(root: Path) -> None:
        p = root / file
        p.write_text((p.read_text() + "\n" if p.exists() else "") + text)
    return edit


def drop(file: str, header: str, name: str) -> Edit:
    """Remove the `[[header]]` table named `name` and its sub-tables."""
    def edit(root: Path) -> None:
        p = root / file
        lines = p.read_text().split("\n")
        out, skipping = [], False
        for i, line in enumerate(lines):
            if line.startswith("["):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                if line == f"[[{header}]]":
                    skipping = nxt in (f'name = "{name}"', f'id = "{name}"')
                elif not line.startswith(f"[[{header}."):
                    skipping = False
            if not skipping:
                out.append(line)
        assert len(out) < len(lines), f"{file}: no [[{header}]] {name}"
        p.write_text("\n".join(out))
    return edit


def remove_file(file: str) -> Edit:
    return lambda root: (root / file).unlink()


def version(v: str, editorial: list[str] | None = None) -> Edit:
    ed = "" if editorial is None else "editorial = [" + ", ".join(f'"{k}"' for k in editorial) + "]\n"
    return append("hcabi.toml", f'[[version]]\nversion = "{v}"\ndate = "2027-0{v[-1]}-01"\n'
                  f'summary = "Version {v}."\nchanges = ["Changes of {v}."]\n{ed}')


def ext_version(ext: str, number: int, since: str) -> Edit:
    return append(f"extensions/{ext}.toml", f'[[extension.version]]\nnumber = {number}\nsince = "{since}"\n')


def new_function(name: str, fid: int, since: str, req: str) -> Edit:
    return append("extensions/time.toml", f'''[[function]]
name = "{name}"
fid = {fid}
since = "{since}"
summary = "A new function."
returns = "0."
[[function.status]]
name = "SUCCESS"
when = "Always."
[[function.requirement]]
id = "{req}"
text = "{name} MUST return `SUCCESS`."
''')


V11, V12, V13, V20, V21 = (version(v) for v in ("1.1", "1.2", "1.3", "2.0", "2.1"))
TIME_V2 = ext_version("time", 2, "1.1")
GET_RESOLUTION = new_function("GET_RESOLUTION", 4, "1.1", "TIME-040")
IPI_FIELD = sub("extensions/ipi.toml", 'doc = "The vector; values below 32 are invalid."\n',
                'doc = "The vector; values below 32 are invalid."\n'
                '[[function.arg.field]]\nbits = "8"\nname = "lowest"\nsince = "1.1"\n'
                'doc = "Deliver to the lowest-numbered running target only."\n')
STEAL_FLAGS = sub("extensions/steal.toml", 'name = "flags"\ntype = "u32"\noffset = 4\n'
                  'doc = "Reserved, written as zero."\nreserved = true\n',
                  'name = "flags"\ntype = "u32"\noffset = 4\nsince = "1.1"\n'
                  'doc = "Bit 0: the host is overcommitted."\n')
STEAL_FLAGS_NO_SINCE = sub("extensions/steal.toml", 'doc = "Reserved, written as zero."\nreserved = true\n'
                           '[[struct.field]]\nname = "steal_ns"',
                           'doc = "Bit 0: the host is overcommitted."\n[[struct.field]]\nname = "steal_ns"')
# The legitimate 1.1: a version entry, a new function, a new bit field on a reserved bit,
# a reserved structure field taking meaning, and the extension version numbers for each.
LEGIT_11 = [V11, GET_RESOLUTION, TIME_V2, IPI_FIELD, ext_version("ipi", 2, "1.1"),
            STEAL_FLAGS, ext_version("steal", 2, "1.1")]

CANCEL_TIMER_HEAD = 'name = "CANCEL_TIMER"\nfid = 3\nsince = "1.0"\n'
DEPRECATE_CANCEL_11 = sub("extensions/time.toml", CANCEL_TIMER_HEAD, CANCEL_TIMER_HEAD + 'deprecated = "1.1"\n')
DROP_CANCEL = drop("extensions/time.toml", "function", "CANCEL_TIMER")

TLB_MASK = 'name = "mask"\ntype = "u64"\ndoc = "Bit i set: vCPU `base + i` is a target."\n'
TLB_BASE = 'name = "base"\ntype = "u64"\ndoc = "Index of the vCPU that bit 0 of `mask` names."\n'
TLB_NPAGES = 'name = "npages"\ntype = "u64"\nunit = "pages"\n'
RIP = 'name = "rip"\ntype = "u64"\noffset = 0\ndoc = "First instruction; canonical."\n'
RSP = 'name = "rsp"\ntype = "u64"\noffset = 8\ndoc = "Initial stack pointer."\n'
NPAGES_DOC = 'doc = "Number of 4 KiB pages; 0 flushes every linear address."\n'


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = hc.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def compat(tmp_path: Path, capsys, old_edits, new_edits) -> tuple[int, str, str]:
    old = registry(tmp_path, "old", *old_edits)
    new = registry(tmp_path, "new", *new_edits)
    return run(capsys, old, new)


def lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines()]


# ---------------------------------------------------------------------------
# What passes

def test_identical_registries_pass(tmp_path, capsys):
    rc, out, err = compat(tmp_path, capsys, [], [])
    assert (rc, err) == (0, "")
    assert lines(out) == ["compatible: 1.0 -> 1.0 (same version): identical"]


def test_legitimate_minor_version_passes(tmp_path, capsys):
    rc, out, err = compat(tmp_path, capsys, [], LEGIT_11)
    assert (rc, err) == (0, ""), out
    got = lines(out)
    assert got[0] == "compatible: 1.0 -> 1.1 (minor): 8 additions"
    assert set(got[1:]) == {
        "+ version 1.1",
        "+ extension TIME version 2 (since 1.1)",
        "+ function TIME.GET_RESOLUTION (0x00020004, since 1.1)",
        "+ extension IPI version 2 (since 1.1)",
        "+ argument field IPI.SEND.vector.lowest (bits 8, since 1.1)",
        "+ extension STEAL version 2 (since 1.1)",
        "+ struct field steal_time.flags (offset 4, since 1.1)",
        "+ requirement TIME-040 (since 1.1)",
    }


def test_reserved_struct_field_may_be_split_with_a_version(tmp_path, capsys):
    split = sub("extensions/steal.toml",
                'name = "reserved"\ntype = "u64"\noffset = 16\ncount = 6\n',
                'name = "irq_ns"\ntype = "u64"\noffset = 16\nsince = "1.1"\ndoc = "Time stolen by host interrupts."\n'
                '[[struct.field]]\nname = "reserved"\ntype = "u64"\noffset = 24\ncount = 5\n')
    rc, out, _ = compat(tmp_path, capsys, [], [V11, split, ext_version("steal", 2, "1.1")])
    assert rc == 0, out
    assert "+ struct field steal_time.irq_ns (offset 16, since 1.1)" in lines(out)


def test_new_extension_in_a_minor_passes(tmp_path, capsys):
    ext = append("extensions/rng.toml", '''[extension]
name = "RNG"
eid = 0x000A
since = "1.1"
title = "Random numbers"
summary = "Entropy from the host."
[[extension.version]]
number = 1
since = "1.1"
[[function]]
name = "READ"
fid = 0
since = "1.1"
summary = "Return 64 random bits."
returns = "64 random bits."
[[function.status]]
name = "SUCCESS"
when = "Always."
[[function.requirement]]
id = "RNG-001"
text = "READ MUST return `SUCCESS`."
''')
    rc, out, _ = compat(tmp_path, capsys, [], [V11, ext])
    assert rc == 0, out
    assert "+ extension RNG (EID 0x000A, since 1.1)" in lines(out)
    assert "+ function RNG.READ (0x000A0000, since 1.1)" in lines(out)


CORE_10 = '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]\n'


def test_profile_may_grow_in_a_minor(tmp_path, capsys):
    grow = sub(HCABI, CORE_10, CORE_10 + '"1.1" = ["BASE", "CONSOLE", "TIME", "SYSTEM", "IPI"]\n')
    rc, out, _ = compat(tmp_path, capsys, [], [V11, grow])
    assert rc == 0, out
    assert "+ profile core for 1.1: [BASE, CONSOLE, TIME, SYSTEM, IPI]" in lines(out)


def test_profile_may_drop_an_extension_in_a_major(tmp_path, capsys):
    shrink = sub(HCABI, CORE_10, CORE_10 + '"2.0" = ["BASE", "TIME", "SYSTEM"]\n')
    rc, out, _ = compat(tmp_path, capsys, [], [V20, shrink])
    assert rc == 0, out
    assert not [ln for ln in lines(out) if "drops extension" in ln], out


def test_editorial_change_passes_when_listed(tmp_path, capsys):
    new_returns = sub("extensions/base.toml",
                      'returns = "The implementation ID from the registry\'s table of implementations; never 0."',
                      'returns = "The implementation ID, from the registry\'s table of implementations; never 0."')
    rc, out, _ = compat(tmp_path, capsys, [], [version("1.1", ["BASE.GET_IMPL_ID.returns", "TLB-003"]),
                                              new_returns, sub("extensions/tlb.toml", "FLUSH MUST ignore targets",
                                                               "FLUSH MUST ignore the targets")])
    assert rc == 0, out
    assert "~ editorial change: BASE.GET_IMPL_ID.returns (version 1.1)" in lines(out)
    assert "~ editorial change: TLB-003 (version 1.1)" in lines(out)


def test_reflowed_text_is_no_change(tmp_path, capsys):
    rc, out, _ = compat(tmp_path, capsys, [], [V11, sub("extensions/tlb.toml", "FLUSH MUST ignore targets",
                                                        "FLUSH  MUST ignore\\n targets")])
    assert rc == 0, out  # "\\n" in a TOML basic string is a newline: only white space changed


def test_major_version_may_remove_a_deprecated_function(tmp_path, capsys):
    rc, out, _ = compat(tmp_path, capsys, [V11, DEPRECATE_CANCEL_11], [V11, DEPRECATE_CANCEL_11, V20, DROP_CANCEL])
    assert rc == 0, out
    assert lines(out)[0] == "compatible: 1.1 -> 2.0 (major): 1 addition"
    assert "- function TIME.CANCEL_TIMER removed (deprecated in 1.1)" in lines(out)
    assert "- requirement TIME-030 removed with TIME.CANCEL_TIMER" in lines(out)


def test_deprecation_in_a_minor_passes(tmp_path, capsys):
    rc, out, _ = compat(tmp_path, capsys, [], [V11, DEPRECATE_CANCEL_11])
    assert rc == 0, out
    assert "~ function TIME.CANCEL_TIMER deprecated in 1.1" in lines(out)


# ---------------------------------------------------------------------------
# Each kind of break: (old edits, new edits, the exact violation)

HCABI = "hcabi.toml"
EDITORIAL_HINT = 'a change of meaning; if it is only editorial, list "{}" in the editorial list of version 1.1'
MINOR_STATUSES = "(minor versions may not change a function's statuses)"

# A function status with its own `since` (schema of 1.2 and later), and FAILED
# added to BASE.PROBE_FUNCTION from 1.1 on.
STATUS_SINCE_SCHEMA = sub("registry.schema.json", '"when": {"$ref": "#/$defs/text"}\n',
                          '"when": {"$ref": "#/$defs/text"},\n"since": {"$ref": "#/$defs/version"}\n')
LATE_FAILED = sub("extensions/base.toml", 'when = "`function_id` has a bit set above bit 31."\n',
                  'when = "`function_id` has a bit set above bit 31."\n'
                  '[[function.status]]\nname = "FAILED"\nsince = "1.1"\nwhen = "The host failed."\n')


def test_status_added_with_the_new_version_passes(tmp_path, capsys):
    rc, out, err = compat(tmp_path, capsys, [], [V11, STATUS_SINCE_SCHEMA, LATE_FAILED])
    assert (rc, err) == (0, ""), out
    assert "+ status FAILED of BASE.PROBE_FUNCTION (since 1.1)" in lines(out)


BREAKS = {
    # the version history is append-only
    "history-date": ([], [V11, sub(HCABI, 'date = "2026-11-22"', 'date = "2026-11-23"')],
                     "version 1.0: date changed from 2026-11-22 to 2026-11-23 "
                     "(the history of released versions is append-only)"),
    "history-summary": ([], [V11, sub(HCABI, 'summary = "First release:', 'summary = "The first release:')],
                        "version 1.0: summary changed (the history of released versions is append-only)"),
    "history-changes": ([], [V11, sub(HCABI, '"Profiles core and full.",', '"Profiles core and full.", "More.",')],
                        "version 1.0: changes changed (the history of released versions is append-only)"),
    "history-removed": ([V11], [V12],
                        "version 1.1: removed from the history (released versions are never removed)"),
    "history-inserted": ([V12], [V12, V11, V13],
                         "version 1.1: added to the history, but it is not newer than 1.2"),
    # status codes
    "status-removed": ([], [V11, drop(HCABI, "status", "RETRY")],
                       "status RETRY: removed (status codes are never removed)"),
    "status-renumbered": ([], [V11, sub(HCABI, "value = -16", "value = -17")],
                          "status RETRY: value changed from -16 to -17 (status codes are never renumbered)"),
    "status-renamed": ([], [V11, sub(HCABI, 'name = "RETRY"', 'name = "TRY_AGAIN"')],
                       "status RETRY: renamed to TRY_AGAIN (value -16; status codes are never renamed)"),
    "common-status-added": ([], [V11, sub(HCABI, "[common_status]\n", '[common_status]\nDENIED = "Always."\n')],
                            "common status DENIED: added to the statuses every function may return "
                            + MINOR_STATUSES),
    # reserved function numbers
    "reserved-fid-unreserved": ([], [V11, sub("extensions/base.toml", "fid = 0x001D\nsince", "fid = 0x001E\nsince")],
                                "BASE: reserved FID 0x001D no longer reserved (reserved FIDs are never assigned)"),
    # extensions
    "extension-removed": ([], [V11, remove_file("extensions/tlb.toml"), sub(HCABI, '"TLB", ', "")],
                          "TLB: extension removed (minor versions may not remove an extension)"),
    "extension-renamed": ([], [V11, sub("extensions/tlb.toml", 'name = "TLB"', 'name = "SHOOT"'),
                               sub("extensions/tlb.toml", '"TLB-0', '"SHOOT-0', 0),
                               sub(HCABI, '"TLB", "MEM"', '"SHOOT", "MEM"')],
                          "TLB: extension renamed to SHOOT (EID 0x0005; extension names are never changed)"),
    "extension-eid": ([], [V11, sub("extensions/tlb.toml", "eid = 0x0005", "eid = 0x000A")],
                      "TLB: EID changed from 0x0005 to 0x000A (EIDs are never renumbered)"),
    "extension-version-since": ([V11, TIME_V2], [V11, V12, ext_version("time", 2, "1.2")],
                                "TIME: extension version 2: since changed from 1.1 to 1.2"),
    "extension-version-not-newer": ([V11], [V11, V12, TIME_V2],
                                    "TIME: extension version 2 added with since 1.1, which is not newer than 1.1"),
    "extension-version-missing": ([], [V11, GET_RESOLUTION],
                                  'TIME: function GET_RESOLUTION added in 1.1, but the extension has no version '
                                  'number for 1.1 (add an [[extension.version]] with since = "1.1" so that '
                                  'PROBE_EXTENSION tells the versions apart)'),
    "extension-not-newer": ([], [V11, append("extensions/rng.toml", '[extension]\nname = "RNG"\neid = 0x000A\n'
                                             'since = "1.0"\ntitle = "R"\nsummary = "R."\n[[extension.version]]\n'
                                             'number = 1\nsince = "1.0"\n[[function]]\nname = "READ"\nfid = 0\n'
                                             'since = "1.0"\nsummary = "R."\nreturns = "R."\n[[function.status]]\n'
                                             'name = "SUCCESS"\nwhen = "A."\n[[function.requirement]]\n'
                                             'id = "RNG-001"\ntext = "READ MUST work."\n')],
                            "RNG: new extension with since 1.0, which is not newer than 1.0 "
                            "(an extension added without a version bump)"),
    # functions
    "function-removed": ([], [V11, DROP_CANCEL],
                         "TIME.CANCEL_TIMER: function removed (minor versions may not remove a function)"),
    "function-renamed": ([], [V11, sub("extensions/time.toml", 'name = "CANCEL_TIMER"', 'name = "STOP_TIMER"')],
                         "TIME.CANCEL_TIMER: renamed to TIME.STOP_TIMER (function ID 0x00020003; "
                         "function names are never changed)"),
    "function-fid": ([], [V11, sub("extensions/time.toml", "fid = 3", "fid = 4")],
                     "TIME.CANCEL_TIMER: FID changed from 3 to 4 (function IDs are never renumbered)"),
    "function-since": ([], [V11, sub("extensions/time.toml", CANCEL_TIMER_HEAD,
                                     CANCEL_TIMER_HEAD.replace('"1.0"', '"1.1"'))],
                       "TIME.CANCEL_TIMER: since changed from 1.0 to 1.1"),
    "function-id-reused": ([], [V11, TIME_V2, sub("extensions/time.toml", "fid = 3", "fid = 4"),
                                new_function("ABORT_TIMER", 3, "1.1", "TIME-041")],
                           "TIME.ABORT_TIMER: function ID 0x00020003 reused (it was TIME.CANCEL_TIMER; "
                           "function IDs are never reused)"),
    "function-id-reused-after-removal": ([], [V11, TIME_V2, DROP_CANCEL,
                                              new_function("ABORT_TIMER", 3, "1.1", "TIME-041")],
                                         "TIME.ABORT_TIMER: function ID 0x00020003 reused (it was "
                                         "TIME.CANCEL_TIMER; function IDs are never reused)"),
    "function-not-newer": ([], [V11, new_function("GET_RESOLUTION", 4, "1.0", "TIME-040")],
                           "TIME.GET_RESOLUTION: new function with since 1.0, which is not newer than 1.0 "
                           "(a function added without a version bump)"),
    "function-batchable": ([], [V11, sub("extensions/time.toml", CANCEL_TIMER_HEAD,
                                         CANCEL_TIMER_HEAD + "batchable = false\n")],
                           "TIME.CANCEL_TIMER: batchable changed from true to false"),
    "deprecated-not-newer": ([], [V11, sub("extensions/time.toml", CANCEL_TIMER_HEAD,
                                           CANCEL_TIMER_HEAD + 'deprecated = "1.0"\n')],
                             "TIME.CANCEL_TIMER: deprecated in 1.0, which is not newer than 1.0 "
                             "(a deprecation needs a new version)"),
    "deprecated-removed-in-minor": ([V11, DEPRECATE_CANCEL_11], [V11, DEPRECATE_CANCEL_11, V12, DROP_CANCEL],
                                    "TIME.CANCEL_TIMER: function removed (minor versions may not remove a function; "
                                    "being deprecated, it may go in the next major version)"),
    "major-removes-undeprecated": ([V11], [V11, V20, DROP_CANCEL],
                                   "TIME.CANCEL_TIMER: function removed, but it was not deprecated "
                                   "(a major version may remove only what an earlier version deprecated)"),
    "major-renumbers": ([], [V20, sub("extensions/time.toml", "fid = 3", "fid = 4")],
                        "TIME.CANCEL_TIMER: FID changed from 3 to 4 (function IDs are never renumbered)"),
    "returns-changed": ([], [V11, sub("extensions/base.toml", "registry's table of implementations; never 0.",
                                      "registry's table of implementations, or 0.")],
                        "BASE.GET_IMPL_ID: returns changed (" + EDITORIAL_HINT.format("BASE.GET_IMPL_ID.returns")
                        + ")"),
    # arguments
    "argument-removed": ([], [V11, sub("extensions/tlb.toml", "[[function.arg]]\n" + TLB_NPAGES
                                       + 'doc = "Number of 4 KiB pages; 0 flushes every linear address."\n', "")],
                         "TLB.FLUSH: argument npages removed (minor versions may not remove an argument)"),
    "argument-renamed": ([], [V11, sub("extensions/tlb.toml", 'name = "npages"', 'name = "count"')],
                         "TLB.FLUSH: argument npages renamed to count (R10)"),
    "argument-reordered": ([], [V11, sub("extensions/tlb.toml", TLB_MASK + "[[function.arg]]\n" + TLB_BASE,
                                         TLB_BASE + "[[function.arg]]\n" + TLB_MASK)],
                           "TLB.FLUSH: argument mask reordered: it moved from RDI to RSI "
                           "(arguments are never reordered)"),
    "argument-retyped": ([], [V11, sub("extensions/tlb.toml", TLB_NPAGES, TLB_NPAGES.replace("u64", "i64"))],
                         "TLB.FLUSH: argument npages: type changed from u64 to i64"),
    "argument-added": ([], [V11, sub("extensions/time.toml", 'knows to expect it.\n"""\n',
                                     'knows to expect it.\n"""\n[[function.arg]]\nname = "flags"\ntype = "u64"\n'
                                     'doc = "Must be 0."\n', 0)],
                       "TIME.CANCEL_TIMER: argument flags added to an existing function (it would give meaning to "
                       "RDI, a register X86-003 requires the hypervisor to ignore)"),
    "argument-doc": ([], [V11, sub("extensions/tlb.toml", TLB_BASE, TLB_BASE.replace("bit 0", "bit 1"))],
                     "TLB.FLUSH: argument base: doc changed (" + EDITORIAL_HINT.format("TLB.FLUSH.arg.base") + ")"),
    "argument-unit": ([], [V11, sub("extensions/tlb.toml", TLB_NPAGES, TLB_NPAGES.replace('unit = "pages"', 'unit = "bytes"'))],
                      "TLB.FLUSH: argument npages: unit changed from pages to bytes"),
    "argument-align": ([], [V11, sub("extensions/steal.toml", "align = 64", "align = 4096")],
                       "STEAL.SET_SHMEM: argument gpa: alignment changed from 64 to 4096"),
    "argument-gpa": ([], [V11, sub("extensions/console.toml", 'gpa = true\nalign = 1\n'
                                   'doc = "Guest-physical address of the first byte."',
                                   'doc = "Guest-physical address of the first byte."')],
                     "CONSOLE.WRITE: argument gpa: gpa changed from true to false"),
    # bit fields of arguments
    "bit-taken-without-version": ([], [V11, ext_version("ipi", 2, "1.1"),
                                       sub("extensions/ipi.toml", 'name = "vector"\nsince = "1.0"\n'
                                           'doc = "The vector; values below 32 are invalid."\n',
                                           'name = "vector"\nsince = "1.0"\n'
                                           'doc = "The vector; values below 32 are invalid."\n'
                                           '[[function.arg.field]]\nbits = "8"\nname = "lowest"\nsince = "1.0"\n'
                                           'doc = "Lowest only."\n')],
                                  "IPI.SEND: argument vector: field lowest (bits 8) taken with since 1.0, which is "
                                  "not newer than 1.0 (a reserved bit taken without a version bump)"),
    "bit-field-bits": ([], [V11, sub("extensions/ipi.toml", 'bits = "7:0"', 'bits = "8:0"')],
                       "IPI.SEND: argument vector: field vector: bits changed from 7:0 to 8:0"),
    "bit-field-renamed": ([], [V11, sub("extensions/ipi.toml", 'bits = "7:0"\nname = "vector"',
                                        'bits = "7:0"\nname = "vec"')],
                          "IPI.SEND: argument vector: field vector renamed to vec"),
    "bit-fields-on-plain-argument": ([], [V11, TIME_V2, sub("extensions/tlb.toml", NPAGES_DOC,
                                                            NPAGES_DOC + '[[function.arg.field]]\nbits = "31:0"\n'
                                                            'name = "count"\nsince = "1.1"\ndoc = "Pages."\n')],
                                     "TLB.FLUSH: argument npages: bit fields added (count), but in 1.0 it had none, "
                                     "so every bit of it already had a meaning"),
    # statuses of a function
    "function-status-added": ([], [V11, sub("extensions/base.toml", 'when = "`function_id` has a bit set above '
                                            'bit 31."\n', 'when = "`function_id` has a bit set above bit 31."\n'
                                            '[[function.status]]\nname = "DENIED"\nwhen = "Never."\n')],
                              "BASE.PROBE_FUNCTION: status DENIED added to an existing function " + MINOR_STATUSES),
    "function-status-added-old-since": ([V11], [V11, V12, STATUS_SINCE_SCHEMA, LATE_FAILED],
        "BASE.PROBE_FUNCTION: status FAILED added to an existing function with since 1.1, which is not "
        "newer than 1.1 " + MINOR_STATUSES),
    "function-status-since-changed": ([V11, STATUS_SINCE_SCHEMA, LATE_FAILED], [V11, V12, STATUS_SINCE_SCHEMA, LATE_FAILED, sub(
        "extensions/base.toml", 'name = "FAILED"\nsince = "1.1"\n', 'name = "FAILED"\nsince = "1.2"\n')],
        "BASE.PROBE_FUNCTION: status FAILED: since changed from 1.1 to 1.2 " + MINOR_STATUSES),
    "function-status-removed": ([], [V11, sub("extensions/console.toml", 'RAM or overflows."\n[[function.status]]\n'
                                              'name = "IO"\nwhen = "The host could not write to its console."\n',
                                              'RAM or overflows."\n')],
                                "CONSOLE.WRITE: status IO removed from an existing function " + MINOR_STATUSES),
    # structures
    "struct-removed": ([], [V11, drop("extensions/mem.toml", "struct", "mem_range")],
                       "struct mem_range: removed (minor versions may not remove a structure)"),
    "struct-field-renamed": ([], [V11, sub("extensions/steal.toml", 'name = "steal_ns"', 'name = "stolen_ns"')],
                             "struct steal_time: field steal_ns renamed to stolen_ns"),
    "struct-field-retyped": ([], [V11, sub("extensions/mem.toml", 'name = "type"\ntype = "u32"',
                                           'name = "type"\ntype = "i32"')],
                             "struct mem_range: field type: type changed from u32 to i32"),
    "struct-field-offset": ([], [V11, sub("extensions/vcpu.toml", RIP + "[[struct.field]]\n" + RSP,
                                          RSP.replace("8", "0") + "[[struct.field]]\n" + RIP.replace("0", "8"))],
                            "struct vcpu_boot_state: field rip: offset changed from 0 to 8"),
    "struct-field-count": ([], [V11, sub("extensions/batch.toml", "offset = 8\ncount = 6\n", "offset = 8\ncount = 5\n"),
                                sub("extensions/batch.toml", '[[struct.field]]\nname = "status"',
                                    '[[struct.field]]\nname = "pad"\ntype = "u64"\noffset = 48\nreserved = true\n'
                                    'doc = "Reserved."\n[[struct.field]]\nname = "status"')],
                           "struct batch_entry: field args: count changed from 6 to 5"),
    "struct-size": ([], [V11, sub("extensions/steal.toml", "size = 64", "size = 128"),
                         sub("extensions/steal.toml", "offset = 16\ncount = 6", "offset = 16\ncount = 14")],
                    "struct steal_time: size changed from 64 to 128 (a structure's layout is fixed)"),
    "struct-reserved-without-version": ([], [V11, ext_version("steal", 2, "1.1"), STEAL_FLAGS_NO_SINCE],
                                        'struct steal_time: field flags: reserved field given meaning without a '
                                        'version bump (its since is 1.0, which is not newer than 1.0; give it '
                                        'since = "1.1")'),
    # requirements
    "requirement-removed": ([], [V11, drop("extensions/tlb.toml", "function.requirement", "TLB-003")],
                            "TLB-003: removed (requirement IDs are never removed or reused)"),
    "requirement-text": ([], [V11, sub("extensions/tlb.toml", "FLUSH MUST ignore targets",
                                       "FLUSH MUST report targets")],
                         "TLB-003: text changed (" + EDITORIAL_HINT.format("TLB-003") + ")"),
    "requirement-since": ([], [V11, sub(HCABI, 'id = "X86-001"\narea = "X86"\nsection = "instructions"\n'
                                        'since = "1.0"', 'id = "X86-001"\narea = "X86"\nsection = "instructions"\n'
                                        'since = "1.1"')],
                          "X86-001: since changed from 1.0 to 1.1"),
    "requirement-not-newer": ([], [V11, append("extensions/tlb.toml", '[[function.requirement]]\nid = "TLB-004"\n'
                                               'text = "FLUSH MUST flush."\n')],
                              "TLB-004: new requirement with since 1.0, which is not newer than 1.0 "
                              "(a requirement added to a released version)"),
    "editorial-names-nothing": ([], [version("1.1", ["BASE.NOPE.returns"])],
                                "version 1.1: editorial entry BASE.NOPE.returns names nothing in the registry"),
    # profiles, constants, implementations
    "profile-changed": ([], [V11, sub(HCABI, '"TLB", "MEM", "STEAL"', '"TLB", "STEAL"')],
                        "profile full: extensions for 1.0 changed from [BASE, CONSOLE, TIME, VCPU, IPI, TLB, MEM, "
                        "STEAL, BATCH, SYSTEM] to [BASE, CONSOLE, TIME, VCPU, IPI, TLB, STEAL, BATCH, SYSTEM] "
                        "(the profiles of a released version are frozen)"),
    "profile-drops-extension": ([], [V11, sub(HCABI, '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]\n',
                                              '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]\n'
                                              '"1.1" = ["BASE", "TIME", "SYSTEM"]\n')],
                                "profile core: 1.1 drops extension CONSOLE, which 1.0 requires "
                                "(a minor version only adds to a profile)"),
    "profile-drops-extension-later": ([V11], [V11, V12, sub(HCABI, '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]\n',
                                                           '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]\n'
                                                           '"1.2" = ["BASE", "CONSOLE", "SYSTEM", "IPI"]\n')],
                                      "profile core: 1.2 drops extension TIME, which 1.1 requires "
                                      "(a minor version only adds to a profile)"),
    "profile-removed": ([], [V11, sub(HCABI, '[[profile]]\nname = "core"\n', '[[profile]]\nname = "base"\n')],
                        "profile core: removed (profiles are never removed)"),
    "constant-value": ([], [V11, sub(HCABI, 'value = "4096"', 'value = "8192"')],
                       "constant PAGE_SIZE: value changed from 4096 to 8192"),
    "constant-removed": ([], [V11, drop(HCABI, "constant", "VECTOR_MIN")],
                         "constant VECTOR_MIN: removed (constants are never removed)"),
    "implementation-reused": ([], [V11, sub(HCABI, 'name = "HCABI reference implementation (libhcabi_ref, '
                                            'hcabi-refvmm)"', 'name = "Another hypervisor"')],
                              'implementation 1: name changed from "HCABI reference implementation (libhcabi_ref, '
                              'hcabi-refvmm)" to "Another hypervisor" (implementation IDs are never reused; if it is '
                              'the same implementation renamed, list "implementation.1" in the editorial list of '
                              'version 1.1)'),
    "implementation-removed": ([], [V11, sub(HCABI, "[[implementation]]\nid = 1\n", "[[implementation]]\nid = 2\n")],
                               "implementation 1: removed (implementation IDs are never removed or reused)"),
    # a released version changed in place
    "same-version-addition": ([], [new_function("GET_RESOLUTION", 4, "1.0", "TIME-040")],
                              "TIME.GET_RESOLUTION: new function with since 1.0, which is not newer than 1.0 "
                              "(a function added without a version bump)"),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_break_is_reported(tmp_path, capsys, case):
    old_edits, new_edits, message = BREAKS[case]
    rc, out, err = compat(tmp_path, capsys, old_edits, new_edits)
    assert err == ""
    assert rc == 1, out
    assert lines(out)[0].startswith("incompatible: ")
    assert message in lines(out)[1:], out


def test_old_newer_than_new_is_an_error(tmp_path, capsys):
    rc, out, _ = compat(tmp_path, capsys, [V11], [])
    assert rc == 1
    assert lines(out) == [
        "incompatible: 1.1 -> 1.0 (backwards): 1 violation",
        "version 1.0: the newest version of NEW is older than 1.1, the newest version of OLD "
        "(a registry never goes back a version)",
    ]


# ---------------------------------------------------------------------------
# Errors: exit 4, a clear message, never a traceback

def _cli(*argv: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / "hcabi-compat"), *map(str, argv)],
                          capture_output=True, text=True, timeout=120, cwd=SCRIPTS)


def test_missing_registry_is_exit_4(tmp_path):
    new = registry(tmp_path, "new")
    p = _cli(tmp_path / "nowhere", new)
    assert p.returncode == 4
    assert p.stdout == ""
    assert p.stderr.strip() == f"hcabi-compat: error: OLD registry {tmp_path / 'nowhere'}: not a folder"


def test_unreadable_registry_is_exit_4(tmp_path):
    old = registry(tmp_path, "old", sub("extensions/tlb.toml", 'name = "TLB"', 'name = = "TLB"'))
    p = _cli(old, registry(tmp_path, "new"))
    assert p.returncode == 4
    assert "Traceback" not in p.stderr
    assert re.search(r"^hcabi-compat: error: OLD registry .*extensions/tlb\.toml: not valid TOML: ",
                     p.stderr, re.M), p.stderr


def test_invalid_registry_is_exit_4(tmp_path):
    new = registry(tmp_path, "new", sub("extensions/tlb.toml", "fid = 0", "fid = -1"))
    p = _cli(registry(tmp_path, "old"), new)
    assert p.returncode == 4
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("hcabi-compat: error: NEW registry "), p.stderr
    assert "extensions/tlb.toml: function[0].fid: -1 is less than the minimum of 0 (entry FLUSH)" in p.stderr


def test_usage_is_exit_2(tmp_path):
    p = _cli(registry(tmp_path, "old"))
    assert p.returncode == 2
    assert "give either OLD and NEW, or --all" in p.stderr


# ---------------------------------------------------------------------------
# --all over released snapshots, and hcabi-release

def tree(tmp_path: Path, snapshots: dict[str, list[Edit]], current: list[Edit]) -> Path:
    root = registry(tmp_path, "registry", *current)
    for ver, edits in snapshots.items():
        snap = registry(tmp_path, f"snap-{ver}", *edits)
        (root / "releases").mkdir(exist_ok=True)
        snap.rename(root / "releases" / ver)
    return root


def test_all_checks_every_step(tmp_path, capsys):
    root = tree(tmp_path, {"1.0": [], "1.1": LEGIT_11}, [*LEGIT_11, V12])
    rc, out, _ = run(capsys, "--all", "--registry", root)
    assert rc == 0, out
    assert [x for x in lines(out) if x.startswith("compatible")] == [
        "compatible: 1.0 -> 1.1 (minor, releases 1.0 and 1.1): 8 additions",
        "compatible: 1.1 -> 1.2 (minor, current registry): 1 addition",
    ]


def test_all_finds_a_break_between_snapshots(tmp_path, capsys):
    root = tree(tmp_path, {"1.0": [], "1.1": [V11, DROP_CANCEL]}, [V11, DROP_CANCEL])
    rc, out, _ = run(capsys, "--all", "--registry", root)
    assert rc == 1
    assert "incompatible: 1.0 -> 1.1 (minor, releases 1.0 and 1.1): 2 violations" in lines(out)
    assert "TIME.CANCEL_TIMER: function removed (minor versions may not remove a function)" in lines(out)
    assert "compatible: 1.1 -> 1.1 (same version, current registry): identical" in lines(out)


def test_all_requires_a_snapshot_of_every_released_version(tmp_path, capsys):
    root = tree(tmp_path, {"1.0": []}, [V11, V12])
    rc, out, _ = run(capsys, "--all", "--registry", root)
    assert rc == 1
    assert lines(out)[0].startswith("incompatible: version 1.1: released (a newer version follows it) but there "
                                    "is no snapshot ")


def test_all_catches_an_id_reused_after_a_major_removed_it(tmp_path, capsys):
    r11 = [V11, DEPRECATE_CANCEL_11]
    r20 = [*r11, V20, DROP_CANCEL]
    current = [*r20, V21, ext_version("time", 2, "2.1"), new_function("ABORT_TIMER", 3, "2.1", "TIME-030")]
    root = tree(tmp_path, {"1.0": [], "1.1": r11, "2.0": r20}, current)
    rc, out, _ = run(capsys, "--all", "--registry", root)
    assert rc == 1
    got = lines(out)
    assert "compatible: 1.1 -> 2.0 (major, releases 1.1 and 2.0): 1 addition" in got
    assert ("TIME.ABORT_TIMER: function ID or name reused (it was TIME.CANCEL_TIMER, 0x00020003, in 1.1; "
            "function IDs are never reused)") in got
    assert ("TIME-030: requirement ID reused (it was a requirement of TIME.CANCEL_TIMER in 1.1; "
            "requirement IDs are never reused)") in got


def test_release_freezes_the_newest_version(tmp_path, capsys):
    root = tree(tmp_path, {"1.0": []}, LEGIT_11)
    assert hc.release_main(["1.0", "--registry", str(root)]) == 1      # not the newest
    assert hc.release_main(["1.1", "--registry", str(root)]) == 0
    snap = root / "releases" / "1.1"
    assert sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*.toml")) == \
        sorted(["hcabi.toml"] + [f"extensions/{p.name}" for p in (root / "extensions").glob("*.toml")])
    assert (snap / "registry.schema.json").read_text() == (root / "registry.schema.json").read_text()
    assert hc.release_main(["1.1", "--registry", str(root)]) == 1      # already released
    err = capsys.readouterr().err
    assert "is not the registry's newest version (1.1)" in err
    assert "1.1 is already released" in err
    rc, out, _ = run(capsys, "--all", "--registry", root)
    assert rc == 0, out


def test_release_refuses_an_incompatible_registry(tmp_path, capsys):
    root = tree(tmp_path, {"1.0": []}, [V11, DROP_CANCEL])
    assert hc.release_main(["1.1", "--registry", str(root)]) == 1
    assert "TIME.CANCEL_TIMER: function removed" in capsys.readouterr().err
    assert not (root / "releases" / "1.1").exists()


# ---------------------------------------------------------------------------
# Parts of a compound requirement (atomic requirements)

CURRENT_SCHEMA = SCRIPTS.parent / "spec" / "registry" / "registry.schema.json"
IPI_003 = ('text = "SEND MUST ignore targets that are stopped and MUST return `SUCCESS` with 0 '
           'when `mask` is 0."\n')


def schema_with_parts(root: Path) -> None:
    """The 1.0 snapshot's schema predates parts; the current one allows them."""
    shutil.copyfile(CURRENT_SCHEMA, root / "registry.schema.json")


def parts(*texts: str) -> Edit:
    body = "".join(f'[[function.requirement.part]]\nid = "IPI-003.{i}"\ntext = "{t}"\n'
                   for i, t in enumerate(texts, 1))
    return sub("extensions/ipi.toml", IPI_003, IPI_003 + body)


STOPPED = "SEND MUST ignore targets that are stopped."
MASK0 = "SEND MUST return `SUCCESS` with 0 when `mask` is 0."


def test_parts_added_with_a_version_are_additions(tmp_path, capsys):
    rc, out, err = compat(tmp_path, capsys, [], [schema_with_parts, V11, parts(STOPPED, MASK0)])
    assert (rc, err) == (0, ""), out
    assert set(lines(out)[1:]) == {"+ version 1.1", "+ part IPI-003.1 of requirement IPI-003",
                                   "+ part IPI-003.2 of requirement IPI-003"}


@pytest.mark.parametrize("case", ["added-in-place", "removed", "re-texted"])
def test_part_changes_are_reported(tmp_path, capsys, case):
    old = [schema_with_parts, V11, parts(STOPPED, MASK0)]
    new, message = {
        "added-in-place": ([schema_with_parts, parts(STOPPED, MASK0)],
                           "IPI-003.1: new part of IPI-003 in 1.0, which is not newer than 1.0 (a part is shown "
                           "from the version that adds it: add it with a new version)"),
        # IPI-003.2 renumbered to .3: .2 is gone
        "removed": ([schema_with_parts, V11, V12,
                     sub("extensions/ipi.toml", IPI_003, IPI_003 + f'[[function.requirement.part]]\nid = "IPI-003.1"\n'
                         f'text = "{STOPPED}"\n[[function.requirement.part]]\nid = "IPI-003.3"\ntext = "{MASK0}"\n')],
                    "IPI-003.2: part of IPI-003 removed (requirement IDs are never removed or reused)"),
        "re-texted": ([schema_with_parts, V11, V12, parts(STOPPED, "SEND MUST return 0 when `mask` is 0.")],
                      'IPI-003.2: text changed (a change of meaning; if it is only editorial, list "IPI-003.2" in '
                      'the editorial list of version 1.2)'),
    }[case]
    if case == "added-in-place":
        old = []
    rc, out, err = compat(tmp_path, capsys, old, new)
    assert err == ""
    assert rc == 1, out
    assert message in lines(out)[1:], out


def test_part_text_change_listed_as_editorial_passes(tmp_path, capsys):
    rc, out, err = compat(tmp_path, capsys, [schema_with_parts, V11, parts(STOPPED, MASK0)],
                          [schema_with_parts, V11, version("1.2", ["IPI-003.2"]),
                           parts(STOPPED, "SEND MUST return `SUCCESS` and 0 when `mask` is 0.")])
    assert (rc, err) == (0, ""), out
    assert "~ editorial change: IPI-003.2 (version 1.2)" in lines(out)
