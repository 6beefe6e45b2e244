"""Tests of scripts/hcabi_compat.py: each kind of break, with its exact violation and exit status 1.

Registries are built by compat_registries.py from the frozen 1.0 snapshot; a case is
(the edits of OLD, the edits of NEW, the exact violation line).

Run with Debian's interpreter: /usr/bin/python3 -m pytest scripts/tests/test_hcabi_compat_breaks.py
"""
from __future__ import annotations

import pytest

from compat_registries import (
    HCABI, V11, V12, V13, V20, TIME_V2, GET_RESOLUTION, STEAL_FLAGS_NO_SINCE, CANCEL_TIMER_HEAD,
    DEPRECATE_CANCEL_11, DROP_CANCEL, TLB_MASK, TLB_BASE, TLB_NPAGES, RIP, RSP, NPAGES_DOC, append,
    compat, drop, ext_version, lines, new_function, remove_file, sub, version)
from compat_registries import ARM64, CURRENT_SCHEMA, arch_struct, binding

# ---------------------------------------------------------------------------
# Each kind of break: (old edits, new edits, the exact violation)

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


FROZEN = ("{}: new {} with since 1.0, which is not newer than 1.0 (the {} binding is in 1.0 already, which "
          "froze it: an addition to it comes with a new version)")
X86_NEW = '[[requirement]]\nid = "X86-010"\narea = "X86"\nsection = "registers"\nsince = "1.0"\n' \
          'text = "A hypervisor MUST do one more thing."\n'

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
    "function-returns-on-success": ([], [V11, sub("extensions/system.toml", 'summary = "Power the VM off."\n'
                                                  'returns = "Does not return on success."\nbatchable = false\n'
                                                  'returns_on_success = false\n',
                                                  'summary = "Power the VM off."\n'
                                                  'returns = "Does not return on success."\nbatchable = false\n'),
                                            sub("extensions/system.toml", 'when = "A reserved bit of `code` is set."\n',
                                                'when = "A reserved bit of `code` is set."\n'
                                                '[[function.status]]\nname = "SUCCESS"\nwhen = "Never."\n')],
                                    "SYSTEM.SHUTDOWN: returns_on_success changed from false to true"),
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
    "struct-not-newer": ([], [V11, append("extensions/mem.toml", '[[struct]]\nname = "mem_hole"\nsince = "1.0"\n'
                                          'size = 8\ndoc = "A hole."\n[[struct.field]]\nname = "gpa"\ntype = "u64"\n'
                                          'offset = 0\ndoc = "Where."\n')],
                         "struct mem_hole: new structure with since 1.0, which is not newer than 1.0"),
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
    "constant-not-newer": ([], [V11, append(HCABI, '[[constant]]\nname = "VECTOR_MAX"\nvalue = "255"\n'
                                            'since = "1.0"\ndoc = "Highest vector."\n')],
                           "constant VECTOR_MAX: new constant with since 1.0, which is not newer than 1.0"),
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
    # architecture bindings: a new architecture's binding may join a released version
    # (test_hcabi_compat.py); once released it is frozen, and so are x86-64's and the neutral part
    "arm64-text-once-released": (ARM64, [binding("arm64", "ARM64", "ARM64", text="A hypervisor MUST take it."),
                                         arch_struct("arm64")],
                                 "ARM64-001: text changed (the text of a released version is frozen)"),
    "arm64-requirement-once-released": (ARM64, [binding("arm64", "ARM64", "ARM64", reqs=(1, 2)),
                                                arch_struct("arm64")], FROZEN.format("ARM64-002", "requirement", "arm64")),
    "arm64-replaces-once-released": (ARM64, [binding("arm64", "ARM64", "ARM64", extra='replaces = ["VCPU-001"]\n'),
                                             arch_struct("arm64")],
                                     "ARM64-001: replaces changed from [] to [VCPU-001] (what applies on arm64 is part "
                                     "of a released version; a new requirement replaces what a new version adds)"),
    "arm64-struct-once-released": (ARM64, [*ARM64, arch_struct("arm64", name="vcpu_extra")],
                                   FROZEN.format("struct vcpu_extra_arm64", "structure", "arm64")),
    "x86-requirement-added-to-1.0": ([], [*ARM64, append(HCABI, X86_NEW)], FROZEN.format("X86-010", "requirement", "x86_64")),
    "x86-struct-added-to-1.0": ([], [CURRENT_SCHEMA, arch_struct("x86_64")],
                                FROZEN.format("struct vcpu_boot_state_x86_64", "structure", "x86_64")),
    "neutral-requirement-added-with-a-binding": ([], [*ARM64, append(HCABI, X86_NEW.replace("X86", "GEN"))],
                                                 "GEN-010: new requirement with since 1.0, which is not newer than 1.0 "
                                                 "(a requirement added to a released version)"),
    "x86-text-changed-with-a-binding": ([], [*ARM64, sub(HCABI, "`VMCALL` and `VMMCALL` as the hypercall instruction",
                                                         "`VMCALL` as the hypercall instruction")],
                                        "X86-001: text changed (the text of a released version is frozen)"),
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
