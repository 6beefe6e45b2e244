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


def test_rejects_late_status_not_newer_than_its_function(reg: Path) -> None:
    f = reg / "extensions" / "console.toml"
    edit(f, 'name = "IO"\nwhen = "The host could not read from its console."',
         'name = "IO"\nsince = "1.0"\nwhen = "The host could not read from its console."')
    assert_rejected(validate(reg), f, "CONSOLE.READ", "IO", "not newer than the function")


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


# ---------------------------------------------------------------------------
# Bad input: exactly one line, "registry error: FILE: PATH: what is wrong", exit 4,
# never a traceback (the loader reads through scripts/hcabi_load.py).

HCABI, STEAL, IPI, BASE = "hcabi.toml", "extensions/steal.toml", "extensions/ipi.toml", "extensions/base.toml"

# (file, text to replace (exactly once), replacement, the message after "FILE: ")
WRONG_ENTRIES = {
    "registry": (HCABI, "format = 1\n", 'format = "1"\n', 'registry.format: "1" is not 1'),
    "version": (HCABI, 'date = "2026-11-22"\nsummary = "First', 'date = 2026-11-22\nsummary = "First',
                "version[0].date: expected a string, found a date or time (entry 1.0)"),
    "status": (HCABI, "value = -16", 'value = "-16"', "status[16].value: expected an integer, found a string "
               "(entry RETRY)"),
    "common_status": (HCABI, "[common_status]\n", "[common_status]\nDENIED = 4\n",
                      "common_status.DENIED: expected a string, found an integer"),
    "implementation": (HCABI, "[[implementation]]\nid = 1", '[[implementation]]\nid = "1"',
                       "implementation[0].id: expected an integer, found a string (entry 1)"),
    "profile": (HCABI, '"1.0" = ["BASE", "CONSOLE", "TIME", "SYSTEM"]', '"1.0" = "BASE"',
                'profile[0].extensions."1.0": expected a list, found a string (entry core)'),
    "constant": (HCABI, 'value = "4096"', "value = 4096", "constant[3].value: expected a string, found an integer "
                 "(entry PAGE_SIZE)"),
    "requirement": (HCABI, 'id = "X86-001"\narea = "X86"', 'id = "X86-001"\narea = ["X86"]',
                    "requirement[0].area: expected a string, found a list (entry X86-001)"),
    "unknown-key": (HCABI, "format = 1\n", 'format = 1\ncolour = "red"\n', 'registry: unknown key "colour"'),
    "extension": (STEAL, "eid = 0x0007", 'eid = "7"', "extension.eid: expected an integer, found a string "
                  "(entry STEAL)"),
    "missing-key": (STEAL, 'title = "Steal time"\n', "", "extension: missing key title (entry STEAL)"),
    "extension-version": (STEAL, "[[extension.version]]\nnumber = 1", "[[extension.version]]\nnumber = true",
                          "extension.version[0].number: expected an integer, found a boolean (entry STEAL)"),
    "reserved-fid": (BASE, "fid = 0x001D\nsince", "fid = [0x001D]\nsince",
                     "extension.reserved_fid[3].fid: expected an integer, found a list (entry BASE)"),
    "function": (STEAL, 'name = "SET_SHMEM"\nfid = 0', 'name = "SET_SHMEM"\nfid = 0.5',
                 "function[0].fid: expected an integer, found a number (entry SET_SHMEM)"),
    "arg": (STEAL, "gpa = true\nalign = 64", 'gpa = "yes"\nalign = 64',
            "function[0].arg[0].gpa: expected a boolean, found a string (entry gpa)"),
    "arg-field": (IPI, 'bits = "7:0"', "bits = [7, 0]",
                  "function[0].arg[2].field[0].bits: expected a string, found a list (entry vector)"),
    "function-status": (STEAL, 'when = "The record is registered or unregistered."', "when = {}",
                        "function[0].status[0].when: expected a string, found a table (entry SUCCESS)"),
    "function-requirement": (STEAL, 'id = "STEAL-001"', 'id = "STEAL-1"',
                             'function[0].requirement[0].id: "STEAL-1" does not match ^[A-Z][A-Z0-9]*-[0-9]{3}$ '
                             "(entry STEAL-1)"),
    "struct": (STEAL, "size = 64", 'size = "64"', "struct[0].size: expected an integer, found a string "
               "(entry steal_time)"),
    "struct-field": (STEAL, "offset = 8\n", "offset = -8\n",
                     "struct[0].field[2].offset: -8 is less than the minimum of 0 (entry steal_ns)"),
    "huge-version": (HCABI, 'version = "1.1"\n', 'version = "1.' + "1" * 5000 + '"\n',
                     'version[1].version: "1.' + "1" * 34 + '... does not match ^[1-9][0-9]{0,4}\\.(0|[1-9][0-9]{0,4})$ '
                     "(entry 1." + "1" * 35 + "...)"),
    "version-over-16-bits": (HCABI, "[common_status]\n", '[[version]]\nversion = "1.70000"\ndate = "2027-01-01"\n'
                             'summary = "S."\nchanges = ["C."]\n[common_status]\n',
                             "version 1.70000: major and minor must each be at most 65535 (code (major << 16) | minor)"),
    "huge-struct": (STEAL, "count = 6\n", "count = " + "9" * 4300 + "\n",
                    "struct steal_time: field reserved count is an integer of 4300 digits, over the limit of 1048576"),
    "huge-constant": (HCABI, 'value = "4096"', 'value = "' + "9" * 5000 + '"',
                      'constant PAGE_SIZE: value "' + "9" * 36 + '... does not fit in 64 bits'),
    "constant-over-64-bits": (HCABI, 'value = "4096"', 'value = "0x10000000000000000"',
                              'constant PAGE_SIZE: value "0x10000000000000000" does not fit in 64 bits'),
    "huge-integer": (STEAL, "eid = 0x0007", "eid = " + "9" * 60,
                     "extension.eid: an integer of 60 digits is greater than the maximum of 65535 (entry STEAL)"),
}


def one_error(r: subprocess.CompletedProcess[str]) -> str:
    """The one line of stderr, after checking the exit status 4 and that no traceback appeared."""
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 4, f"exit {r.returncode}:\n{r.stdout}{r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.mark.parametrize("case", sorted(WRONG_ENTRIES))
def test_wrong_entry_is_one_line_naming_file_and_path(reg: Path, case: str) -> None:
    file, old, new, message = WRONG_ENTRIES[case]
    edit(reg / file, old, new)
    assert one_error(validate(reg)) == f"registry error: {reg / file}: {message}"


def test_non_utf8_bytes_are_one_line(reg: Path) -> None:
    f = reg / IPI
    data = f.read_bytes()
    f.write_bytes(data + b"# caf\xe9\n")
    line = data.count(b"\n") + 1
    assert one_error(validate(reg)) == (f"registry error: {f}: line {line}: not UTF-8 text "
                                        f"(byte 0xe9 at offset {len(data) + 5})")


def test_toml_syntax_error_is_one_line(reg: Path) -> None:
    f = reg / STEAL
    edit(f, 'name = "STEAL"', 'name = = "STEAL"')
    assert re.fullmatch(rf"registry error: {re.escape(str(f))}: not valid TOML: Invalid value \(at line \d+, column \d+\)",
                        one_error(validate(reg)))


@pytest.mark.parametrize("depth, message", [
    (10000, "not valid TOML: nested too deeply (at most 32 levels)"),  # tomllib: RecursionError
    (40, "x" + "[0]" * 32 + ": nested more than 32 levels deep"),       # parses, but deeper than any registry
])
def test_deep_nesting_is_one_line(reg: Path, depth: int, message: str) -> None:
    f = reg / "extensions" / "deep.toml"
    f.write_text("x = " + "[" * depth + "]" * depth + "\n")
    assert one_error(validate(reg)) == f"registry error: {f}: {message}"


def test_integer_too_long_to_convert_is_one_line(reg: Path) -> None:
    f = reg / STEAL
    edit(f, "eid = 0x0007", "eid = " + "9" * 5000)
    assert one_error(validate(reg)) == (f"registry error: {f}: not valid TOML: Exceeds the limit (4300 digits) "
                                        "for integer string conversion: value has 5000 digits")


def _misplace(reg: Path, tmp_path: Path, case: str) -> tuple[Path, Path, str]:
    """Plant one missing or misplaced file: (folder to validate, path the message names, what it says)."""
    top, ext, schema = reg / HCABI, reg / "extensions" / "x.toml", reg / "registry.schema.json"
    if case == "missing":
        return tmp_path / "nowhere", tmp_path / "nowhere", "no such folder"
    if case == "file":
        (tmp_path / "afile").write_text("")
        return tmp_path / "afile", tmp_path / "afile", "not a folder"
    if case == "no-registry":
        (tmp_path / "empty").mkdir()
        return tmp_path / "empty", tmp_path / "empty", "not a registry folder (it has no hcabi.toml and no extensions/)"
    if case == "top-missing":
        top.unlink()
        return reg, top, "cannot read: No such file or directory"
    if case == "top-is-folder":
        top.unlink()
        top.mkdir()
        return reg, top, "cannot read: it is a folder, not a file"
    if case == "extension-is-folder":
        ext.mkdir()
        return reg, ext, "cannot read: it is a folder, not a file"
    if case == "schema-missing":
        schema.unlink()
        return reg, schema, "cannot read: No such file or directory"
    assert case == "schema-not-json"
    schema.write_text("{\n")
    return reg, schema, "line 2: not valid JSON: Expecting property name enclosed in double quotes"


@pytest.mark.parametrize("case", ["missing", "file", "no-registry", "top-missing", "top-is-folder",
                                  "extension-is-folder", "schema-missing", "schema-not-json"])
def test_missing_or_misplaced_files_are_one_line(reg: Path, tmp_path: Path, case: str) -> None:
    folder, named, what = _misplace(reg, tmp_path, case)
    assert one_error(validate(folder)) == f"registry error: {named}: {what}"


def test_usage_error_is_one_line_exit_2() -> None:
    r = subprocess.run([sys.executable, str(VALIDATE), "a", "b"], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (2, "hcabi_registry: error: unrecognized arguments: b (see --help)\n")


def test_full_stdout_is_one_line_exit_4(reg: Path) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, str(VALIDATE), str(reg)], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    assert one_error(r) == "hcabi_registry: cannot write standard output: No space left on device"


# Parts of a compound requirement (atomic requirements, from 1.2 on). STEAL-004
# is atomic in the registry (no parts), so the tests give it some.
PARTED = ('[[function.requirement]]\nid = "STEAL-004"\n'
          'text = "`steal_ns` MUST NOT decrease between updates of a vCPU\'s record."\n')


def with_parts(reg: Path, *parts: tuple[str, str]) -> Path:
    f = reg / "extensions" / "steal.toml"
    edit(f, PARTED, PARTED + "".join(f'[[function.requirement.part]]\nid = "{i}"\ntext = "{t}"\n' for i, t in parts))
    return f


def atomic_count(out: str) -> int:
    m = re.search(r"requirements \((\d+) atomic\)", out)
    assert m, out
    return int(m.group(1))


def test_parts_are_loaded_and_exported(reg: Path, tmp_path: Path) -> None:
    before = atomic_count(validate(reg).stdout)
    with_parts(reg, ("STEAL-004.1", "`steal_ns` MUST NOT decrease on one vCPU."),
               ("STEAL-004.2", "`steal_ns` MUST NOT decrease across updates."))
    r = validate(reg)
    assert r.returncode == 0, r.stderr
    assert atomic_count(r.stdout) == before + 1  # one requirement became two parts
    sys.path.insert(0, str(REPO / "scripts"))
    import hcabi_registry as hr
    import hcabi_gen_history
    from hcabi_spec_view import View
    loaded = hr.load(reg)
    req = next(x for x in loaded.requirements if x.id == "STEAL-004")
    assert [p.id for p in req.parts] == ["STEAL-004.1", "STEAL-004.2"]
    assert req.atomic_ids == ["STEAL-004.1", "STEAL-004.2"]
    other = next(x for x in loaded.requirements if x.id == "TIME-010")
    assert other.parts == [] and other.atomic_ids == ["TIME-010"]
    import json
    doc = json.loads(hcabi_gen_history.gen_manifest(View(loaded, loaded.newest_version)))
    row = next(x for x in doc["requirements"] if x["id"] == "STEAL-004")
    assert row["parts"] == [{"id": "STEAL-004.1", "text": "`steal_ns` MUST NOT decrease on one vCPU."},
                            {"id": "STEAL-004.2", "text": "`steal_ns` MUST NOT decrease across updates."}]
    assert next(x for x in doc["requirements"] if x["id"] == "TIME-010")["parts"] == []


@pytest.mark.parametrize("parts,names", [
    ((("STEAL-003.1", "It MUST hold."), ("STEAL-004.2", "It MUST hold.")),
     ("STEAL-004", "part STEAL-003.1", "STEAL-004.N")),
    ((("STEAL-004.2", "It MUST hold."), ("STEAL-004.1", "It MUST hold.")),
     ("STEAL-004", "part STEAL-004.1", "must grow")),
    ((("STEAL-004.1", "It holds."), ("STEAL-004.2", "It MUST hold.")),
     ("STEAL-004", "part STEAL-004.1", "nothing normative")),
])
def test_rejects_malformed_parts(reg: Path, parts: tuple, names: tuple) -> None:
    f = with_parts(reg, *parts)
    assert_rejected(validate(reg), f, *names)


@pytest.mark.parametrize("part_id", ["STEAL-004.0", "STEAL-004.100", "STEAL-004-1", "STEAL-004.01"])
def test_rejects_part_id_of_wrong_shape(reg: Path, part_id: str) -> None:
    f = with_parts(reg, (part_id, "It MUST hold."), ("STEAL-004.2", "It MUST hold."))
    assert_rejected(validate(reg), f, part_id, "does not match")


def test_rejects_a_single_part(reg: Path) -> None:
    f = with_parts(reg, ("STEAL-004.1", "It MUST hold."))
    assert_rejected(validate(reg), f, "part", "at least 2 items", "STEAL-004")


# ---------------------------------------------------------------------------
# abi.h names every argument bit field (issue 14): the expected shift and mask are
# computed here from the TOML's `bits` text, not from the generator's model, so a
# generator that emitted a wrong or missing constant fails.

ABI_H = REPO / "abi.h"
FIELD_DEFINE = re.compile(r"^#define (HCABI_\w+)_(SHIFT|MASK) (?:(\d+)u|UINT64_C\((0x[0-9A-F]+)\))$", re.M)


def registry_fields(reg: Path) -> dict[str, tuple[int, int]]:
    """NAME -> (shift, mask) for every [[function.arg.field]] of the registry at `reg`."""
    import tomllib
    want: dict[str, tuple[int, int]] = {}
    for path in sorted((reg / "extensions").glob("*.toml")):
        doc = tomllib.loads(path.read_text())
        ext = doc["extension"]["name"]
        for fn in doc.get("function", []):
            for arg in fn.get("arg", []):
                for f in arg.get("field", []):
                    hi, _, lo = f["bits"].partition(":")
                    top, low = int(hi), int(lo or hi)
                    name = f"HCABI_{ext}_{fn['name']}_{arg['name']}_{f['name']}".upper()
                    want[name] = (low, sum(1 << b for b in range(low, top + 1)))
    return want


def abi_h_fields(text: str) -> dict[str, tuple[int, int]]:
    """NAME -> (shift, mask) for every _SHIFT/_MASK pair that `text` (an abi.h) defines."""
    parts: dict[str, dict[str, int]] = {}
    for name, kind, dec, hexa in FIELD_DEFINE.findall(text):
        parts.setdefault(name, {})[kind] = int(dec) if kind == "SHIFT" else int(hexa, 16)
    assert all(len(p) == 2 for p in parts.values()), f"a _SHIFT without its _MASK or back: {parts}"
    return {name: (p["SHIFT"], p["MASK"]) for name, p in parts.items()}


def test_abi_h_defines_every_argument_field_of_the_registry() -> None:
    want = registry_fields(REGISTRY)
    assert want["HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF"] == (8, 0x100)  # the example, since 1.1
    assert abi_h_fields(ABI_H.read_text()) == want


def test_argument_field_constants_follow_the_registry(reg: Path, tmp_path: Path) -> None:
    """Moving a field in the registry moves its constants: nothing is typed in the generator."""
    edit(reg / "extensions" / "ipi.toml", 'bits = "8"\nname = "all_but_self"', 'bits = "10:9"\nname = "all_but_self"')
    out = tmp_path / "out"
    out.mkdir()
    r = validate(reg, GENERATE, "--root", str(out))
    assert r.returncode == 0, r.stderr
    got = abi_h_fields((out / "abi.h").read_text())
    assert got["HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF"] == (9, 0x600)
    assert got == registry_fields(reg)

def test_rejects_applies_with_naming_no_extension(reg: Path) -> None:
    f = reg / "hcabi.toml"
    edit(f, 'reserved field that is not zero MUST return `INVALID_PARAM`."\napplies_with = ["VCPU"]',
         'reserved field that is not zero MUST return `INVALID_PARAM`."\napplies_with = ["FRAMEBUFFER"]')
    assert_rejected(validate(reg), f, "requirement GEN-002", "part GEN-002.2", "applies_with names 'FRAMEBUFFER'")


def test_rejects_requirement_applies_with_naming_no_extension(reg: Path) -> None:
    f = reg / "hcabi.toml"
    edit(f, 'one of them completed before the other started."\napplies_with = ["VCPU"]',
         'one of them completed before the other started."\napplies_with = ["FRAMEBUFFER"]')
    assert_rejected(validate(reg), f, "requirement GEN-004", "applies_with names 'FRAMEBUFFER'")


# ---------------------------------------------------------------------------
# Architecture bindings (bindings/<arch>.toml): what they replace and map exists and is
# architecture-neutral, and their names say their architecture.

def test_binding_replaces_and_maps_resolve(reg: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import hcabi_registry as hr
    model = hr.load(reg)
    assert model.arches() == {"x86_64", "arm64", "riscv64"}
    # VCPU-001.5 (the local APIC ID) is replaced on arm64 and riscv64, not on x86-64
    assert not model.applies_on("VCPU-001.5", "arm64") and not model.applies_on("VCPU-001.5", "riscv64")
    assert model.applies_on("VCPU-001.5", "x86_64") and model.applies_on("VCPU-001.1", "arm64")
    # a part is replaced when its requirement is (VCPU-022 as a whole on arm64)
    assert not model.applies_on("VCPU-022.3", "arm64")
    # a binding's own requirements only on its architecture; x86-64's include DISC
    assert model.applies_on("ARM64-001", "arm64") and not model.applies_on("ARM64-001", "x86_64")
    assert not model.applies_on("DISC-001", "arm64") and model.applies_on("DISC-001", "x86_64")
    refs = model.binding_refs("TIME.SET_TIMER.arg.vector")
    assert sorted(refs) == ["arm64", "riscv64"] and all(kind == "maps" for rs in refs.values() for _, kind in rs)


def test_rejects_binding_replacing_an_unknown_requirement(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'replaces = ["VCPU-001.5"]', 'replaces = ["VCPU-001.9"]')
    assert_rejected(validate(reg), f, "requirement ARM64-031", "replaces names VCPU-001.9")


def test_rejects_binding_mapping_an_unknown_item(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'maps = ["TLB.FLUSH.arg.gva", ', 'maps = ["TLB.FLUSH.arg.gpa", ')
    assert_rejected(validate(reg), f, "requirement ARM64-032", "maps names TLB.FLUSH.arg.gpa")


def test_rejects_binding_replacing_another_binding(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'replaces = ["VCPU-001.5"]', 'replaces = ["RV64-027"]')
    assert_rejected(validate(reg), f, "requirement ARM64-031", "a requirement of the riscv64 binding")


def test_rejects_a_neutral_requirement_replaced_twice(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'replaces = ["VCPU-024.4"]', 'replaces = ["VCPU-022.1"]')
    assert_rejected(validate(reg), f, "requirement ARM64-029", "replaces VCPU-022.1, which ARM64-025 already")


def test_rejects_replaces_on_a_neutral_requirement(reg: Path) -> None:
    f = reg / "hcabi.toml"
    edit(f, 'text = "A hypervisor MUST write zero to every reserved field of a structure it writes into guest memory."\n',
         'text = "A hypervisor MUST write zero to every reserved field of a structure it writes into guest memory."\n'
         'replaces = ["GEN-001"]\n')
    assert_rejected(validate(reg), f, "requirement GEN-003", "only a requirement of an architecture's binding")


def test_rejects_binding_constant_without_its_prefix(reg: Path) -> None:
    f = reg / "bindings" / "riscv64.toml"
    edit(f, 'name = "RISCV64_SBI_BASE_EID"', 'name = "SBI_BASE_EID"')
    assert_rejected(validate(reg), f, "constant SBI_BASE_EID", "riscv64 binding is named RISCV64_")


def test_rejects_binding_requirement_with_an_area(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'id = "ARM64-001"\n', 'id = "ARM64-001"\narea = "X86"\n')
    assert_rejected(validate(reg), f, "requirement[0]")


# ---------------------------------------------------------------------------
# Binding topics (`topic`): the generated files look requirement IDs up by them.

ID_OR_RANGE = re.compile(r"\b([A-Z][A-Z0-9]*)-(\d{3})(?:\.\.\1-(\d{3}))?\b")
ARCH_BLOCK = {"x86_64": "__x86_64__", "arm64": "__aarch64__", "riscv64": "__riscv"}


def cited_ids(text: str, arch: str) -> set[str]:
    """The requirement IDs abi.h's call-wrapper block of `arch` names (FIRST..LAST expanded)."""
    start = text.index(f"#if defined({ARCH_BLOCK[arch]})")
    block = text[start:text.index(f"#endif /* {ARCH_BLOCK[arch]}", start)]
    return {f"{a}-{n:03d}" for a, lo, hi in ID_OR_RANGE.findall(block)
            for n in range(int(lo), int(hi or lo) + 1)}


def test_abi_h_cites_the_registry_entries_of_each_topic() -> None:
    """Each architecture's call wrappers name exactly its binding's requirements of the
    topics their comments are about: an ID typed into the generator, or one of another
    topic, fails here."""
    sys.path.insert(0, str(REPO / "scripts"))
    import hcabi_gen_abi_calls as calls
    import hcabi_registry as hr
    model = hr.load(REGISTRY)
    text = ABI_H.read_text()
    for arch, topics in calls.CITED.items():
        want = {rid for t in topics for rid in model.topic_ids(arch, t)}
        assert cited_ids(text, arch) == want, arch
    assert model.topic_ids("riscv64", "discovery") == ["RV64-015"]  # the slip this test was written for


def test_a_moved_topic_moves_the_citation(reg: Path, tmp_path: Path) -> None:
    edit(reg / "bindings" / "riscv64.toml", 'id = "RV64-015"\nsection = "discovery"\ntopic = "discovery"\n',
         'id = "RV64-015"\nsection = "discovery"\n')
    edit(reg / "bindings" / "riscv64.toml", 'id = "RV64-016"\nsection = "discovery"\n',
         'id = "RV64-016"\nsection = "discovery"\ntopic = "discovery"\n')
    out = tmp_path / "out"
    out.mkdir()
    r = validate(reg, GENERATE, "--root", str(out))
    assert r.returncode == 0, r.stderr
    got = cited_ids((out / "abi.h").read_text(), "riscv64")
    assert "RV64-016" in got and "RV64-015" not in got
    assert '#define HCABI_REQ_VALUE_ZERO "RV64-008"' in (out / "spec" / "generated" / "binding_reqs.h").read_text()


def test_rejects_an_unknown_topic(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'topic = "value_zero"', 'topic = "value_is_zero"')
    assert_rejected(validate(reg), f, "requirement ARM64-009", "unknown topic 'value_is_zero'")


def test_rejects_a_binding_without_a_topic(reg: Path) -> None:
    f = reg / "bindings" / "arm64.toml"
    edit(f, 'topic = "value_zero"\n', "")
    assert_rejected(validate(reg), f, "arm64 binding has no requirement with topic 'value_zero'")


def test_rejects_a_check_topic_given_twice(reg: Path) -> None:
    f = reg / "bindings" / "riscv64.toml"
    edit(f, 'id = "RV64-007"\nsection = "registers"\ntopic = "result"\n',
         'id = "RV64-007"\nsection = "registers"\ntopic = "value_zero"\n')
    assert_rejected(validate(reg), f, "requirement RV64-007", "RV64-007, RV64-008")


def test_rejects_a_topic_on_a_neutral_requirement(reg: Path) -> None:
    f = reg / "hcabi.toml"
    edit(f, 'id = "GEN-004"\n', 'id = "GEN-004"\ntopic = "call"\n')
    assert_rejected(validate(reg), f, "requirement GEN-004", "only a requirement of an architecture's binding")
