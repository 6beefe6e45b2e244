"""Registries for the tests of the compatibility checker (scripts/hcabi_compat.py).

Every test builds registries in tmp_path from the frozen 1.0 snapshot
(spec/registry/releases/1.0), which never changes, so the tests do not depend on
what the current registry holds. This module holds the edits that build them, the
common ones (a legitimate 1.1 and its parts), and the way a test runs the checker.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Callable

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))  # a test is not run as a file from scripts/, so its folder is not on the path

import hcabi_compat as hc  # noqa: E402

BASE = SCRIPTS.parent / "spec" / "registry" / "releases" / "1.0"
HCABI = "hcabi.toml"

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
# Architecture bindings (spec/registry/bindings/<arch>.toml), which the 1.0 snapshot
# predates: a registry that has one takes the current schema, which knows them.

CURRENT_SCHEMA: Edit = lambda root: shutil.copy(SCRIPTS.parent / "spec" / "registry" / "registry.schema.json",
                                                root / "registry.schema.json")


def binding(arch: str, prefix: str, area: str, reqs: tuple[int, ...] = (1,), since: str = "1.0",
            text: str = "A hypervisor MUST take the instruction as a call.", extra: str = "") -> Edit:
    """bindings/<arch>.toml with one constant and the requirements AREA-00N, N in `reqs`
    (each with the TOML lines `extra`, e.g. a `replaces`)."""
    body = f'[binding]\narch = "{arch}"\ntitle = "{arch}"\n\n[[constant]]\nname = "{prefix}_CALL_ID"\n' \
           f'value = "0x1"\nsince = "{since}"\ndoc = "The call ID."\n'
    body += "".join(f'\n[[requirement]]\nid = "{area}-{n:03d}"\nsection = "registers"\nsince = "{since}"\n'
                    f'text = "{text}"\n{extra}' for n in reqs)

    def edit(root: Path) -> None:
        CURRENT_SCHEMA(root)
        (root / "bindings").mkdir(exist_ok=True)
        (root / "bindings" / f"{arch}.toml").write_text(body)
    return edit


def arch_struct(arch: str, since: str = "1.0", name: str = "vcpu_boot_state") -> Edit:
    """A 16-byte VCPU structure of `arch`'s binding, named <name>_<arch>."""
    return append("extensions/vcpu.toml", f'[[struct]]\nname = "{name}_{arch}"\nsince = "{since}"\n'
                  f'size = 16\narch = "{arch}"\ndoc = "The boot state."\n'
                  '[[struct.field]]\nname = "entry"\ntype = "u64"\noffset = 0\ndoc = "The PC."\n'
                  '[[struct.field]]\nname = "arg"\ntype = "u64"\noffset = 8\ndoc = "The argument."\n')


ARM64 = [binding("arm64", "ARM64", "ARM64"), arch_struct("arm64")]
RISCV64 = [binding("riscv64", "RISCV64", "RV64"), arch_struct("riscv64")]
