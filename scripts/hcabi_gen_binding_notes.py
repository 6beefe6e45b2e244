"""The pointers from the architecture-neutral text to the bindings that give it a meaning.

One job: the short AsciiDoc notes that the generated extension chapters and status
tables put beside a requirement, a part, an argument, a bit field, a status row, a
description or a structure whose words are x86-64's (RIP, RDI, "vector 32 to 255", "local
APIC", "canonical"): for each other architecture, the binding requirements that replace
it there or say what it means there (the registry's `replaces` and `maps`,
spec/registry/bindings/*.toml). scripts/hcabi_gen_adoc.py calls it; nothing here writes files.
"""
from __future__ import annotations

import hcabi_registry as hr
from hcabi_spec_view import View

# The words an architecture's notes start with, and the chapter section with its registers.
ARCH_NAMES = {"x86_64": "x86-64", "arm64": "arm64", "riscv64": "riscv64"}
REGISTER_SECTIONS = {"x86_64": "req-x86-registers", "arm64": "req-arm64-registers", "riscv64": "req-rv64-registers"}


def refs(view: View, key: str) -> dict[str, list[tuple[hr.Requirement, str]]]:
    """arch -> [(binding requirement, "replaces" or "maps")] naming exactly `key`, among the
    requirements this document shows. Exactly: a part's note is not repeated for its
    requirement's, and the other way round."""
    out: dict[str, list[tuple[hr.Requirement, str]]] = {}
    for r in view.reg.requirements:
        if r.arch is None or not view.has(r.since):
            continue
        for kind in ("replaces", "maps"):
            if key in getattr(r, kind):
                out.setdefault(r.arch, []).append((r, kind))
    return out


def note(view: View, *keys: str) -> str:
    """" [.hcabi-binding]#On arm64, ...#" for the bindings naming any of `keys`; "" if none."""
    found: dict[str, list[tuple[hr.Requirement, str]]] = {}
    for key in keys:
        for arch, rows in refs(view, key).items():
            found.setdefault(arch, []).extend(r for r in rows if r not in found.get(arch, []))
    if not found:
        return ""
    sentences = []
    for arch in sorted(found, key=list(ARCH_NAMES).index):
        rows = found[arch]
        replaced = [r.id for r, kind in rows if kind == "replaces"]
        mapped = [r.id for r, kind in rows if kind == "maps"]
        words = []
        if replaced:
            words.append(f"{_ids(view, replaced)} {'replaces' if len(replaced) == 1 else 'replace'} this")
        if mapped:
            words.append(f"see {_ids(view, mapped)}")
        sentences.append(f"On {ARCH_NAMES[arch]}, {' and '.join(words)}.")
    return " [.hcabi-binding]#" + " ".join(sentences) + "#"


def _ids(view: View, ids: list[str]) -> str:
    linked = [view.link_ids(i) for i in ids]
    return ", ".join(linked[:-1]) + (" and " if len(linked) > 1 else "") + linked[-1]


def registers_note(view: View) -> str:
    """The sentence under a function's register table: the table names x86-64's registers."""
    others = [a for a in ARCH_NAMES if a != "x86_64" and any(r.arch == a and view.has(r.since)
                                                              for r in view.reg.requirements)]
    if not others:
        return ""
    where = ", ".join(f"on {ARCH_NAMES[a]} in those of <<{REGISTER_SECTIONS[a]}>>" for a in others)
    return (f"[.hcabi-binding]\nThe table names the registers of the x86-64 binding (<<{REGISTER_SECTIONS['x86_64']}>>); "
            f"the function ID, the arguments, the status and the value travel {where}, in the same order.\n")
