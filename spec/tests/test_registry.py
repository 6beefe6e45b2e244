"""A malformed registry is rejected, with a message that names the file and the entry.

Each test copies spec/registry/ to tmp_path, plants one defect by a textual edit of
a TOML file, runs `scripts/hcabi_registry.py <dir>` (the generator uses the same
loader: one test runs `hcabi_gen.py --registry <dir> --check` too) and checks the
exit status and the message. Every edit asserts that the text it replaces is there
exactly once, so a change to the registry breaks the test loudly instead of
silently planting nothing.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "spec" / "registry"
VALIDATE = REPO / "scripts" / "hcabi_registry.py"
GENERATE = REPO / "scripts" / "hcabi_gen.py"


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    dst = tmp_path / "registry"
    shutil.copytree(REGISTRY, dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: expected exactly one {old!r} to replace"
    path.write_text(text.replace(old, new))


def edit_re(path: Path, pattern: str, new: str) -> None:
    text = path.read_text()
    found = re.findall(pattern, text, flags=re.M)
    assert len(found) == 1, f"{path.name}: expected exactly one match of {pattern!r}"
    path.write_text(re.sub(pattern, new, text, flags=re.M))


def validate(reg: Path, tool: Path = VALIDATE, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(tool), *extra, str(reg)] if tool == VALIDATE
                          else [sys.executable, str(tool), "--registry", str(reg), *extra],
                          capture_output=True, text=True, timeout=120)


def assert_rejected(r: subprocess.CompletedProcess[str], file: Path, *names: str) -> None:
    """Exit status 1, and one error line that names `file` and every one of `names`."""
    assert r.returncode != 0, f"accepted a malformed registry:\n{r.stdout}{r.stderr}"
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("registry error: ")]
    assert lines, f"no 'registry error:' line in:\n{r.stderr}"
    matching = [ln for ln in lines if str(file) in ln and all(n in ln for n in names)]
    assert matching, f"no error names {file} and {names}:\n{r.stderr}"


def test_the_copied_registry_is_valid(reg: Path) -> None:
    r = validate(reg)
    assert r.returncode == 0, r.stderr
    assert "registry OK" in r.stdout


def test_rejects_duplicate_function_id(reg: Path) -> None:
    f = reg / "extensions" / "console.toml"
    edit(f, 'name = "READ"\nfid = 2', 'name = "READ"\nfid = 1')
    assert_rejected(validate(reg), f, "CONSOLE.READ", "duplicate function ID 0x00010001", "CONSOLE.WRITE_BYTE")


def test_rejects_unknown_status_in_function(reg: Path) -> None:
    f = reg / "extensions" / "console.toml"
    edit(f, 'name = "IO"\nwhen = "The host could not read from its console."',
         'name = "IO_FAILURE"\nwhen = "The host could not read from its console."')
    assert_rejected(validate(reg), f, "CONSOLE.READ", "IO_FAILURE", "not in the status table")


def test_rejects_requirement_with_empty_text(reg: Path) -> None:
    f = reg / "extensions" / "console.toml"
    edit_re(f, r'^(id = "CONSOLE-002"\ntext = )".*"$', r'\1""')
    assert_rejected(validate(reg), f, "CONSOLE-002", "text")


def test_rejects_requirement_without_normative_keyword(reg: Path) -> None:
    f = reg / "extensions" / "time.toml"
    edit_re(f, r'^(id = "TIME-010"\ntext = )".*"$', r'\1"GET_WALLCLOCK returns the time."')
    assert_rejected(validate(reg), f, "TIME-010", "nothing normative")


def test_rejects_duplicate_requirement_id(reg: Path) -> None:
    f = reg / "extensions" / "vcpu.toml"
    edit(f, 'id = "VCPU-021"', 'id = "VCPU-020"')
    assert_rejected(validate(reg), f, "VCPU-020", "duplicate requirement ID")


def test_rejects_duplicate_requirement_id_across_files(reg: Path) -> None:
    f = reg / "hcabi.toml"
    edit(f, 'id = "GEN-003"', 'id = "GEN-002"')
    assert_rejected(validate(reg), f, "GEN-002", "duplicate requirement ID")


def test_rejects_two_extensions_with_one_eid(reg: Path) -> None:
    # TLB's functions would get IPI's function IDs: FIDs outside their extension.
    f = reg / "extensions" / "tlb.toml"
    edit(f, "eid = 0x0005", "eid = 0x0004")
    assert_rejected(validate(reg), f, "extension TLB", "duplicate EID 0x0004", "extension IPI",
                    str(reg / "extensions" / "ipi.toml"))


def test_rejects_struct_layout_gap(reg: Path) -> None:
    f = reg / "extensions" / "mem.toml"
    edit(f, 'name = "type"\ntype = "u32"\noffset = 16', 'name = "type"\ntype = "u16"\noffset = 16')
    assert_rejected(validate(reg), f, "struct mem_range", "reserved0", "gap")


def test_rejects_struct_size_mismatch(reg: Path) -> None:
    f = reg / "extensions" / "steal.toml"
    edit(f, 'offset = 16\ncount = 6', 'offset = 16\ncount = 5')
    assert_rejected(validate(reg), f, "struct steal_time", "fields end at 56 but size is 64")


def test_rejects_profile_with_unknown_extension(reg: Path) -> None:
    f = reg / "hcabi.toml"
    edit(f, '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]', '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM", "FRAMEBUFFER"]')
    assert_rejected(validate(reg), f, "profile core", "unknown extension FRAMEBUFFER")


def test_rejects_unknown_version_in_since(reg: Path) -> None:
    f = reg / "extensions" / "ipi.toml"
    edit_re(f, r'^(name = "SEND"\nfid = 0\nsince = )"1.0"$', r'\1"1.7"')
    assert_rejected(validate(reg), f, "function IPI.SEND", "version 1.7")


def test_generator_refuses_a_malformed_registry(reg: Path, tmp_path: Path) -> None:
    f = reg / "extensions" / "console.toml"
    edit(f, 'name = "READ"\nfid = 2', 'name = "READ"\nfid = 1')
    out = tmp_path / "out"
    out.mkdir()
    r = validate(reg, GENERATE, "--root", str(out))
    assert_rejected(r, f, "CONSOLE.READ", "duplicate function ID")
    assert not any(out.iterdir()), "the generator wrote files from a malformed registry"
