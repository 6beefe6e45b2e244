"""Tests of scripts/hcabi_compat.py, the compatibility checker: what passes, the command line's
errors, --all over released snapshots, hcabi-release, and the parts of requirements.

Registries are built by compat_registries.py from the frozen 1.0 snapshot; each kind of
break, with its exact message, is in test_hcabi_compat_breaks.py.

Run with Debian's interpreter: /usr/bin/python3 -m pytest scripts/tests/test_hcabi_compat.py
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compat_registries import (
    ARM64, HCABI, RISCV64, SCRIPTS, V11, V12, V20, V21, LEGIT_11, DEPRECATE_CANCEL_11, DROP_CANCEL, Edit, append,
    compat, ext_version, hc, lines, new_function, registry, run, sub, version)


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


def test_a_new_architecture_binding_may_be_added_to_a_released_version(tmp_path, capsys):
    # A binding applies from 1.0 (docs/compatibility.md): its requirements, constants and
    # structures join the released version; nothing else of it changes.
    rc, out, err = compat(tmp_path, capsys, [], ARM64)
    assert (rc, err) == (0, ""), out
    assert lines(out) == [
        "compatible: 1.0 -> 1.0 (same version): 3 additions",
        "+ struct vcpu_boot_state_arm64 (since 1.0, arm64 binding)",
        "+ constant ARM64_CALL_ID = 0x1 (since 1.0, arm64 binding)",
        "+ requirement ARM64-001 (since 1.0, arm64 binding)",
    ]
    rc, out, _ = compat(tmp_path / "minor", capsys, [], [V11, *ARM64])
    assert rc == 0, out
    assert "+ requirement ARM64-001 (since 1.0, arm64 binding)" in lines(out)


def test_the_rule_is_per_architecture(tmp_path, capsys):
    # arm64 released with 1.0: riscv64 is still new, and is added to 1.0 the same way.
    rc, out, _ = compat(tmp_path, capsys, ARM64, [*ARM64, *RISCV64])
    assert rc == 0, out
    assert set(lines(out)[1:]) == {"+ struct vcpu_boot_state_riscv64 (since 1.0, riscv64 binding)",
                                   "+ constant RISCV64_CALL_ID = 0x1 (since 1.0, riscv64 binding)",
                                   "+ requirement RV64-001 (since 1.0, riscv64 binding)"}


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
