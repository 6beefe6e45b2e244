"""What one rendered document of the HCABI spec shows: the registry seen at one version.

A document is written for one version V of the spec (an implementer of 1.0 reads the
1.0 text), optionally compared with the version before it (the change-marked
document). Every item of the registry carries the version it appeared in (`since`);
the document shows the items with `since` <= V, and in a comparison marks those that
are newer than the older version.

Requirements with parts (atomic conditions of a compound requirement) are shown as
their parts from PARTS_FROM on, and before that as their original text: the text that
the documents of those versions said.

One job: answer "is this item in the document, is it new, how is it cited". Nothing
here writes AsciiDoc markup beyond links and marks, or touches files.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_registry as hr  # noqa: E402

# Shared decision for 1.2: the split of a compound requirement into its parts is shown
# in the documents from 1.2 on; the parts restate their parent, they add nothing.
PARTS_FROM = "1.2"

# A requirement ID, or a part's (IPI-001.1), as it appears in running text.
CITED_ID_RE = re.compile(r"(?<![\w<\[#.\-])([A-Z][A-Z0-9]*-[0-9]{3}(?:\.[0-9]{1,2})?)(?![\w\-]|\.[0-9])")
_CODE_RE = re.compile(r"(``.+?``|`[^`\n]*`)")


def vkey(version: str) -> tuple[int, int]:
    return hr.parse_version(version)


def parts_of(r: hr.Requirement) -> list[dict[str, Any]]:
    """The parts of a requirement as {"id", "text"}; empty when it is atomic itself.

    Read defensively so that this works with a loader that predates parts."""
    out: list[dict[str, Any]] = []
    for p in getattr(r, "parts", None) or []:
        if isinstance(p, dict):
            part: dict[str, Any] = {"id": str(p["id"]), "text": str(p["text"]).strip()}
            within = list(p.get("applies_with") or [])
        else:
            part = {"id": str(p.id), "text": str(p.text).strip()}
            within = list(getattr(p, "applies_with", ()) or [])
        if within:
            part["applies_with"] = within
        out.append(part)
    return out


@dataclass(frozen=True)
class TestRef:
    """A conformance test that cites a requirement: its name and the version it runs from."""
    name: str
    since: str


@dataclass
class View:
    reg: hr.Registry
    version: str
    prev: str | None = None                      # the version compared with (a change-marked document)
    tested_by: dict[str, list[TestRef]] | None = None  # requirement or part ID -> tests; None: no lists
    old: hr.Registry | None = None               # the older version as released (its frozen snapshot)
    _ids: dict[str, str] = field(default_factory=dict, init=False)
    _old_texts: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        names = self.reg.version_names()
        if self.version not in names:
            raise ValueError(f"version {self.version} is not in the registry (it has {', '.join(names)})")
        if self.prev is not None and self.prev not in names:
            raise ValueError(f"version {self.prev} is not in the registry (it has {', '.join(names)})")
        # every ID this document renders -> the anchor a citation of it links to
        for r in self.requirements():
            self._ids[r.id] = r.id
            for p in parts_of(r):
                self._ids[p["id"]] = p["id"] if self.split(r) else r.id
        if self.old is not None:
            self._old_texts = texts(self.old)

    def old_text(self, key: str, now: str) -> str | None:
        """In a comparison with a released version: what that version said under `key`
        (a key of texts()) when it differs from `now`; None when unchanged or new."""
        before = self._old_texts.get(key)
        if before is None or " ".join(before.split()) == " ".join(now.split()):
            return None
        return before

    # -- versions -----------------------------------------------------------------
    @property
    def is_newest(self) -> bool:
        return self.version == self.reg.newest_version

    @property
    def diff(self) -> bool:
        return self.prev is not None

    def unmarked(self) -> "View":
        """The same document without change marks: for the inside of a section that is
        new as a whole, where marking every line would only repeat the section's mark."""
        return replace(self, prev=None, old=None)

    def has(self, since: str | None) -> bool:
        """The item exists in this document's version."""
        return since is None or vkey(since) <= vkey(self.version)

    def new(self, since: str | None) -> bool:
        """The item is marked as added: a comparison, and the older version lacks it."""
        return self.prev is not None and self.has(since) and since is not None and vkey(since) > vkey(self.prev)

    def versions(self) -> list[str]:
        return [v for v in self.reg.version_names() if self.has(v)]

    def version_entry(self, version: str | None = None) -> dict[str, Any]:
        v = version or self.version
        return next(x for x in self.reg.versions if x["version"] == v)

    # -- what the document holds ------------------------------------------------
    def extensions(self) -> list[hr.Extension]:
        return [e for e in self.reg.extensions if self.has(e.since)]

    def functions(self, ext: hr.Extension | None = None) -> list[hr.Function]:
        fns = ext.functions if ext is not None else self.reg.functions()
        return [fn for fn in fns if self.has(fn.since) and self.has(fn.extension.since)]

    def requirements(self) -> list[hr.Requirement]:
        """Every requirement shown, in the order of the requirements index: the binding
        areas, then the functions' requirements, extension by extension."""
        binding = [r for r in self.reg.requirements if r.function is None and self.has(r.since)]
        per_fn = [r for fn in self.functions() for r in fn.requirements if self.has(r.since)]
        return binding + per_fn

    def fn_requirements(self, fn: hr.Function) -> list[hr.Requirement]:
        return [r for r in fn.requirements if self.has(r.since)]

    def split(self, r: hr.Requirement) -> bool:
        """The requirement is shown as its parts in this document."""
        return bool(parts_of(r)) and vkey(self.version) >= vkey(PARTS_FROM)

    def split_is_new(self, r: hr.Requirement) -> bool:
        """A comparison across PARTS_FROM: the old text is struck and the parts inserted."""
        return self.split(r) and self.prev is not None and vkey(self.prev) < vkey(PARTS_FROM) \
            and self.has(r.since) and not self.new(r.since)

    def atomic_ids(self) -> list[str]:
        """The IDs a test can cover in this document: parts where shown, else the requirement."""
        out: list[str] = []
        for r in self.requirements():
            out += [p["id"] for p in parts_of(r)] if self.split(r) else [r.id]
        return out

    def tests(self, rid: str, r: hr.Requirement | None = None) -> list[TestRef] | None:
        """Tests of this version that cite `rid`; for a requirement shown whole, also the
        tests that cite one of its parts (they restate it). None: no lists are rendered."""
        if self.tested_by is None:
            return None
        ids = [rid]
        if r is not None and not self.split(r):
            ids += [p["id"] for p in parts_of(r)]
        seen: dict[str, TestRef] = {}
        for i in ids:
            for t in self.tested_by.get(i, []):
                if self.has(t.since):
                    seen.setdefault(t.name, t)
        return sorted(seen.values(), key=lambda t: t.name)

    # -- citations ----------------------------------------------------------------
    def link_target(self, rid: str) -> str | None:
        return self._ids.get(rid)

    def link_ids(self, text: str) -> str:
        """Turn every requirement ID cited in running text into a link to its anchor.

        IDs in backticks stay code; an ID this document does not render (a newer
        version's) stays plain text, so that no link dangles."""
        out = []
        for i, chunk in enumerate(_CODE_RE.split(text)):
            if i % 2:
                out.append(chunk)
                continue

            def sub(m: re.Match[str]) -> str:
                target = self.link_target(m.group(1))
                if target is None:
                    return m.group(1)
                return f"<<{target},{m.group(1)}>>"
            out.append(CITED_ID_RE.sub(sub, chunk))
        return escape_open_brackets("".join(out))


def escape_open_brackets(text: str) -> str:
    """Write each `[` that no `]` closes (a half-open range, `[gpa, gpa + n)`) as
    {startsb}: AsciiDoc would otherwise read it as the start of the attribute list of
    the next inline role (`[.hcabi-added]##...##`) and swallow the text between. The
    attribute is replaced after inline formatting, so the reader sees `[`."""
    out = []
    for i, ch in enumerate(text):
        if ch == "[":
            close, reopen = text.find("]", i + 1), text.find("[", i + 1)
            if close == -1 or (reopen != -1 and reopen < close):
                out.append("{startsb}")
                continue
        out.append(ch)
    return "".join(out)


def texts(reg: hr.Registry) -> dict[str, str]:
    """Every text of the registry that states meaning, by the keys the compatibility
    checker's `editorial` lists use (EXT.FN.returns, EXT.FN.arg.A, EXT.FN.arg.A.field.F,
    EXT.FN.status.S, a requirement's ID, struct.S.F), and EXT.FN.description."""
    out: dict[str, str] = {}
    for fn in reg.functions():
        q = fn.qualname
        out[f"{q}.returns"] = fn.returns
        out[f"{q}.description"] = fn.description
        for a in fn.args:
            out[f"{q}.arg.{a.name}"] = a.doc
            for f in a.fields:
                out[f"{q}.arg.{a.name}.field.{f.name}"] = f.doc
        for s in fn.statuses:
            out[f"{q}.status.{s.name}"] = s.when
    for r in reg.requirements:
        out[r.id] = r.text
    for e in reg.extensions:
        for st in e.structs:
            for f in st.fields:
                out[f"struct.{st.name}.{f.name}"] = f.doc
    return out
