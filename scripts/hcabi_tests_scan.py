"""hcabi_tests_scan: the tests manifest of the conformance suite, read from
the test sources (the command is scripts/hcabi_tests_manifest.py).

Scans conformance/tests/<image>/**/*.c for the declarations of the guest test
framework (conformance/guest/lib/include/hcabi_test.h)::

    HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
    HCABI_TEST(ident, "EXT.name", "REQ-001,REQ-002", HCABI_FID_..._SINCE)
    HCABI_TEST(ident, "EXT.name", "REQ-001," HCABI_REQ_VALUE_ZERO, HCABI_FID_..._SINCE)

(a binding macro of spec/generated/binding_reqs.h stands for the requirement of the
architecture scanned, from the requirements manifest's "binding_macros"), and writes BUILD/conformance/tests.json, which the runner reads::

    {"images": [{"name": "base", "file": "hcabi-conf-base.elf", "vcpus": 1,
                 "memory_mib": 64, "ends": "exit"}, ...],
     "tests": [{"name": "BASE.get_spec_version", "image": "base",
                "extension": "BASE", "requirements": ["BASE-001", "BASE-002"],
                "since": "1.0", "checks": ["BASE-001", "X86-005"]}, ...]}

`checks` lists the requirements the test's checks can name, per test
(scripts/hcabi_test_checks.py: the requirement-ID literals of the code its
body reaches in its folder, and what the framework's helpers it calls check
for it, HCABI_IMPLIED_* in hcabi_test.h). A check names one requirement and
only that one passes or fails by it, so every one of them must be cited:
`check` and `coverage` report each `test T checks REQ but does not cite it`
(exit 1); `generate` writes the manifest anyway and warns, so that
`hcabi-conform coverage` can report it too.

Each folder directly under conformance/tests/ is one image, named after the
folder, and declares it with exactly one HCABI_IMAGE. A test's extension is the
part of its name before the first dot: a registry extension, or a binding area
(X86, DISC, STATUS, GEN, VER). Its `since` is the newest `since` of the
requirements it cites, from spec/generated/requirements.json (never copied by
hand); the C `since` argument, resolved through abi.h, must equal it, so the
image and the manifest agree on which versions have the test.

Rejected, with file:line: a test citing an unknown requirement ID, a malformed
declaration, a duplicate test name, a name whose prefix is no extension or
binding area, a `since` that does not match.

Standard library only (runs under any Python 3.9+).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hcabi_test_checks import sites_per_test

ROOT = Path(__file__).resolve().parent.parent
ENDS = {
    "HCABI_ENDS_EXIT": "exit",
    "HCABI_ENDS_SHUTDOWN": "shutdown",
    "HCABI_ENDS_REBOOT": "reboot",
    "HCABI_ENDS_CRASH": "crash",
}
DEFAULT_ARCH = "x86_64"  # the architecture scanned when none is named
IMAGE_DEFAULTS = {"vcpus": 1, "memory_mib": 64, "ends": "exit"}
IMAGE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
TEST_NAME_RE = re.compile(r"^([A-Z][A-Z0-9_]*)\.([A-Za-z0-9_][A-Za-z0-9_.:-]{0,110})$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REQ_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-Za-z_-]+(\.[0-9]+)?$")  # a requirement or a part (ID.N)
VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")


class ManifestError(Exception):
    """A problem in the test sources; the message names file:line."""


@dataclass
class Loc:
    path: Path
    line: int

    def __str__(self) -> str:
        try:
            rel = self.path.relative_to(ROOT)
        except ValueError:
            rel = self.path
        return f"{rel}:{self.line}"


@dataclass
class Image:
    name: str
    vcpus: int
    memory_mib: int
    ends: str
    loc: Loc
    suffix: str = ".elf"  # the image file's: arm64 images are flat Image files (.bin)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "file": f"hcabi-conf-{self.name}{self.suffix}",
            "vcpus": self.vcpus,
            "memory_mib": self.memory_mib,
            "ends": self.ends,
        }


@dataclass
class Test:
    name: str
    image: str
    extension: str
    requirements: list
    since: str
    loc: Loc
    ident: str = ""
    checks: list = field(default_factory=list)  # requirement IDs its checks can name
    sites: list = field(default_factory=list)  # Site: where its checks name them

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "image": self.image,
            "extension": self.extension,
            "requirements": list(self.requirements),
            "since": self.since,
            "checks": list(self.checks),
        }

    def uncited(self) -> list:
        return [r for r in self.checks if r not in self.requirements]


@dataclass
class Registry:
    requirements: dict  # id -> since "X.Y", for requirements and their parts (a part: its parent's)
    extensions: set
    areas: set
    versions: dict = field(default_factory=dict)  # abi.h macro -> "X.Y" (None: an alias)
    aliases: dict = field(default_factory=dict)  # abi.h macro -> the macro it names
    groups: dict = field(default_factory=dict)  # a requirement with parts -> its part IDs
    parent: dict = field(default_factory=dict)  # a part -> its requirement
    arch: dict = field(default_factory=dict)  # id -> the architecture whose binding holds it (absent: neutral)
    not_on: dict = field(default_factory=dict)  # a neutral id -> the architectures whose binding replaces it
    macros: dict = field(default_factory=dict)  # arch -> {binding macro (binding_reqs.h): requirement ID}

    def atomic(self, on: Optional[str] = None) -> list:
        """What tests must check: every part, and every requirement without parts; with
        `on`, only those that apply on that architecture (its binding's and the neutral
        ones it does not replace)."""
        return [r for r in self.requirements if r not in self.groups
                and (on is None or self.arch.get(r, on) == on and on not in self.not_on.get(r, ()))]


def vkey(text: str) -> tuple:
    m = VERSION_RE.match(text)
    if not m:
        raise ValueError(f"bad version {text!r}")
    return int(m.group(1)), int(m.group(2))


# ---------------------------------------------------------------------------
# C source scanning


def strip_comments(text: str) -> str:
    """Blank out C comments (keeping newlines, so line numbers hold) but keep
    string and character literals intact."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(text: str, start: int, loc: Loc, what: str) -> tuple[list, int]:
    """Split the macro arguments that begin after the '(' at `start`; return
    (arguments, index after the closing ')')."""
    args, depth, cur = [], 0, []
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\n":
                    raise ManifestError(f"{loc}: {what}: unterminated string literal")
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i : j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                if c != ")":
                    raise ManifestError(f"{loc}: {what}: unbalanced {c!r}")
                args.append("".join(cur).strip())
                return args, i + 1
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    raise ManifestError(f"{loc}: {what}: no closing parenthesis")


STRING_SEQ_RE = re.compile(r'^(?:\s*"((?:[^"\\\n]|\\.)*)")+\s*$')
ONE_STRING_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def string_arg(arg: str, loc: Loc, what: str) -> str:
    """One string literal, or adjacent ones, without escapes."""
    if not STRING_SEQ_RE.match(arg):
        raise ManifestError(f"{loc}: {what} must be a string literal, got {arg!r}")
    value = "".join(ONE_STRING_RE.findall(arg))
    if "\\" in value:
        raise ManifestError(f"{loc}: {what} must not contain escapes: {arg!r}")
    return value


LIST_TOKEN_RE = re.compile(r'\s*(?:"((?:[^"\\\n]|\\.)*)"|([A-Za-z_]\w*))')


def reqs_arg(arg: str, loc: Loc, macros: dict) -> str:
    """The requirement list: adjacent string literals and binding macros (`macros`: the
    architecture's, macro -> requirement ID), as the compiler concatenates them."""
    out, pos, end = [], 0, len(arg.rstrip())
    while pos < end:
        m = LIST_TOKEN_RE.match(arg, pos)
        if not m:
            raise ManifestError(f"{loc}: the requirement list must be string literals and binding macros, got {arg!r}")
        if m.group(2) is not None and m.group(2) not in macros:
            raise ManifestError(f"{loc}: {m.group(2)} in the requirement list is no binding macro of the "
                                f"requirements manifest (known: {', '.join(sorted(macros)) or 'none'})")
        out.append(macros[m.group(2)] if m.group(2) is not None else m.group(1))
        pos = m.end()
    value = "".join(out)
    if "\\" in value:
        raise ManifestError(f"{loc}: the requirement list must not contain escapes: {arg!r}")
    return value


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


DECL_RE = re.compile(r"\bHCABI_(TEST|IMAGE)\b")


def scan_file(path: Path, image: str, reg: Registry, images: dict, tests: list, macros: Optional[dict] = None) -> None:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from None
    text = strip_comments(raw)
    for m in DECL_RE.finditer(text):
        loc = Loc(path, line_of(text, m.start()))
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start : m.start()].strip().startswith("#"):
            continue  # a preprocessor line (#define, #ifdef ...)
        rest = m.end()
        while rest < len(text) and text[rest] in " \t\r\n":
            rest += 1
        if rest >= len(text) or text[rest] != "(":
            raise ManifestError(f"{loc}: HCABI_{m.group(1)} without an argument list")
        if m.group(1) == "TEST":
            args, _ = split_args(text, rest + 1, loc, "HCABI_TEST")
            tests.append(parse_test(args, image, loc, reg, macros or {}))
        else:
            args, _ = split_args(text, rest + 1, loc, "HCABI_IMAGE")
            if image in images:
                raise ManifestError(
                    f"{loc}: image {image!r} is already declared at {images[image].loc}: "
                    "one HCABI_IMAGE per folder"
                )
            images[image] = parse_image(args, image, loc)


def parse_test(args: list, image: str, loc: Loc, reg: Registry, macros: Optional[dict] = None) -> Test:
    if len(args) != 4:
        raise ManifestError(
            f"{loc}: HCABI_TEST takes 4 arguments (ident, \"EXT.name\", \"REQ,...\", since), "
            f"got {len(args)}"
        )
    ident, name_arg, reqs_text_arg, since_arg = args
    if not IDENT_RE.match(ident):
        raise ManifestError(f"{loc}: HCABI_TEST identifier {ident!r} is not a C identifier")
    name = string_arg(name_arg, loc, "the test name")
    m = TEST_NAME_RE.match(name)
    if not m:
        raise ManifestError(
            f"{loc}: test name {name!r} is malformed: want EXT.name "
            "(EXT in capitals, then letters, digits, _ . : -)"
        )
    ext = m.group(1)
    if ext not in reg.extensions and ext not in reg.areas:
        known = ", ".join(sorted(reg.extensions | reg.areas))
        raise ManifestError(
            f"{loc}: test {name}: {ext!r} is neither a registry extension nor a binding area "
            f"(known: {known})"
        )
    reqs_text = reqs_arg(reqs_text_arg, loc, macros or {})
    reqs = [r.strip() for r in reqs_text.split(",")]
    if not reqs_text.strip() or any(not r for r in reqs):
        raise ManifestError(f"{loc}: test {name}: empty requirement ID in {reqs_text!r}")
    if any(" " in r for r in reqs_text.split(",")) or reqs_text != ",".join(reqs):
        raise ManifestError(
            f"{loc}: test {name}: write the requirement IDs comma-separated without spaces "
            f"(the image prints them verbatim): {reqs_text!r}"
        )
    seen = set()
    for r in reqs:
        if not REQ_ID_RE.match(r):
            raise ManifestError(f"{loc}: test {name}: {r!r} is not a requirement ID")
        if r not in reg.requirements:
            raise ManifestError(f"{loc}: test {name} cites unknown requirement {r}")
        if r in seen:
            raise ManifestError(f"{loc}: test {name} cites {r} twice")
        seen.add(r)
    since = max((reg.requirements[r] for r in reqs), key=vkey)
    declared = resolve_since(since_arg, reg, loc, name)
    if declared != since:
        raise ManifestError(
            f"{loc}: test {name}: since argument {since_arg} is HCABI {declared}, but the "
            f"newest requirement it cites is from {since}: use a macro of version {since}"
        )
    return Test(name, image, ext, reqs, since, loc, ident)


VERSION_CALL_RE = re.compile(r"^HCABI_VERSION\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def resolve_since(expr: str, reg: Registry, loc: Loc, name: str) -> str:
    """The version a `since` expression names, through abi.h's macros."""
    seen = set()
    cur = expr.strip()
    while True:
        m = VERSION_CALL_RE.match(cur)
        if m:
            return f"{int(m.group(1))}.{int(m.group(2))}"
        if cur in reg.versions and reg.versions[cur] is not None:
            return reg.versions[cur]
        if cur in seen or cur not in reg.versions:
            raise ManifestError(
                f"{loc}: test {name}: since argument {expr!r} is not a HCABI_VERSION_* or "
                "HCABI_FID_*_SINCE macro of abi.h"
            )
        seen.add(cur)
        cur = reg.aliases[cur]


def parse_image(args: list, image: str, loc: Loc) -> Image:
    values = dict(IMAGE_DEFAULTS)
    given = set()
    for arg in args:
        if not arg:
            continue
        m = re.match(r"^\.(\w+)\s*=\s*(\S+)$", arg)
        if not m:
            raise ManifestError(
                f"{loc}: HCABI_IMAGE argument {arg!r} is not `.field = value` "
                "(fields: vcpus, memory_mib, ends)"
            )
        key, value = m.groups()
        if key in given:
            raise ManifestError(f"{loc}: HCABI_IMAGE gives .{key} twice")
        given.add(key)
        if key in ("vcpus", "memory_mib"):
            if not re.match(r"^[0-9]+u?$", value):
                raise ManifestError(f"{loc}: HCABI_IMAGE .{key} must be a decimal number, got {value}")
            num = int(value.rstrip("u"))
            limit = 255 if key == "vcpus" else 3072
            if not 1 <= num <= limit:
                raise ManifestError(f"{loc}: HCABI_IMAGE .{key} = {num} is out of range 1..{limit}")
            values[key] = num
        elif key == "ends":
            if value not in ENDS:
                raise ManifestError(
                    f"{loc}: HCABI_IMAGE .ends must be one of {', '.join(ENDS)}, got {value}"
                )
            values[key] = ENDS[value]
        else:
            raise ManifestError(f"{loc}: HCABI_IMAGE has no field .{key} (fields: vcpus, memory_mib, ends)")
    return Image(image, values["vcpus"], values["memory_mib"], values["ends"], loc)


# ---------------------------------------------------------------------------
# inputs


def load_registry(requirements: Path, abi: Path) -> Registry:
    try:
        data = json.loads(requirements.read_text(encoding="utf-8"))
    except RecursionError:
        raise ManifestError(f"{requirements}: cannot read the requirements manifest: JSON nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{requirements}: cannot read the requirements manifest: {exc}") from None
    try:
        reqs: dict = {}
        groups: dict = {}
        parent: dict = {}
        area_arch = {a: arch for arch, areas in (data.get("architectures") or {}).items() for a in areas}
        arch: dict = {}
        not_on: dict = {}
        for r in data["requirements"]:
            reqs[r["id"]] = r["since"]
            for item in [r] + list(r.get("parts") or []):
                if r["area"] in area_arch:
                    arch[item["id"]] = area_arch[r["area"]]
                # a part is replaced where its requirement is
                not_on[item["id"]] = set(item.get("not_on") or ()) | set(r.get("not_on") or ())
            for p in r.get("parts") or []:
                reqs[p["id"]] = r["since"]  # a part restates its parent: it holds from the parent's since
                parent[p["id"]] = r["id"]
                groups.setdefault(r["id"], []).append(p["id"])
        exts = {e["name"] for e in data["extensions"]}
        macros = {arch: dict(table) for arch, table in (data.get("binding_macros") or {}).items()}
        areas = set(data.get("binding_areas") or [])
        if not areas:
            areas = {r["area"] for r in data["requirements"]} - exts
    except (KeyError, TypeError) as exc:
        raise ManifestError(f"{requirements}: unexpected structure ({exc})") from None
    reg = Registry(reqs, exts, areas, groups=groups, parent=parent, arch=arch, not_on=not_on, macros=macros)
    reg.versions, reg.aliases = read_abi_versions(abi)
    return reg


DEFINE_RE = re.compile(r"^#define\s+(HCABI_\w+)\s+(\S+)", re.M)


def read_abi_versions(abi: Path) -> tuple[dict, dict]:
    """abi.h's version macros: HCABI_VERSION_M_N -> "M.N" and the aliases
    (HCABI_FID_*_SINCE, HCABI_VERSION_NEWEST) that name them."""
    try:
        text = abi.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{abi}: cannot read: {exc}") from None
    versions: dict = {}
    aliases: dict = {}
    for name, value in DEFINE_RE.findall(text):
        m = re.match(r"^HCABI_VERSION_(\d+)_(\d+)$", name)
        if m:
            versions[name] = f"{int(m.group(1))}.{int(m.group(2))}"
        elif name.endswith("_SINCE") or name == "HCABI_VERSION_NEWEST":
            aliases[name] = value
    for name in aliases:
        versions.setdefault(name, None)
    return versions, aliases


def for_arch(folder: Path, path: Path, arch: Optional[str]) -> bool:
    """Whether path, in an image folder, is built for `arch` (None: every architecture):
    the folder's arch/<name>/ holds what only architecture <name> compiles."""
    parts = path.relative_to(folder).parts
    return arch is None or len(parts) < 3 or parts[0] != "arch" or parts[1] == arch


def scan(tests_dir: Path, reg: Registry, implied: Optional[dict] = None,
         arch: Optional[str] = None) -> tuple[list, list]:
    """Images and tests of tests_dir; `implied` maps a framework helper to the
    requirements it checks for its caller (read_implied; None: no helper); `arch`:
    only what that architecture compiles (None: every architecture's)."""
    images: dict = {}
    tests: list = []
    if not tests_dir.is_dir():
        raise ManifestError(f"{tests_dir}: no such directory")
    for folder in sorted(p for p in tests_dir.iterdir() if p.is_dir()):
        image = folder.name
        sources = sorted(p for p in folder.rglob("*.c") if p.is_file() and for_arch(folder, p, arch))
        if not sources:
            continue
        if not IMAGE_NAME_RE.match(image):
            raise ManifestError(f"{folder}: {image!r} is not a valid image name (lower case, digits, . _ -)")
        first = len(tests)
        for src in sources:
            scan_file(src, image, reg, images, tests, reg.macros.get(arch or DEFAULT_ARCH, {}))
        attach_checks(folder, tests[first:], implied or {}, arch)
        if image not in images:
            raise ManifestError(
                f"{folder}: image {image!r} has no HCABI_IMAGE(...) declaration "
                "(put one in one of its .c files)"
            )
    by_name: dict = {}
    for t in tests:
        if t.name in by_name:
            raise ManifestError(f"{t.loc}: duplicate test name {t.name} (first declared at {by_name[t.name].loc})")
        by_name[t.name] = t
    imgs = [images[k] for k in sorted(images)]
    tests.sort(key=lambda t: (t.image, str(t.loc.path), t.loc.line))
    return imgs, tests


def attach_checks(folder: Path, tests: list, implied: dict, arch: Optional[str] = None) -> None:
    """Fill each test's `checks` from the sources and headers of its folder (those `arch` builds)."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*")
                       if p.is_file() and p.suffix in (".c", ".h") and for_arch(folder, p, arch)):
        try:
            texts[path] = strip_comments(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{path}: cannot read: {exc}") from None
    found = sites_per_test(texts, implied)
    for t in tests:
        t.sites = found.get((t.loc.path, t.ident), [])
        t.checks = sorted({s.req for s in t.sites})


def uncited_checks(tests: list, out) -> int:
    """Print every check requirement a test does not cite; the number of them."""
    n = 0
    for t in tests:
        for r in t.uncited():
            print(f"{t.loc}: test {t.name} checks {r} but does not cite it", file=out)
            n += 1
    return n


def grouped_citations(tests: list, reg: Registry, out) -> int:
    """Print every citation of a requirement that has parts (tests cite the
    atomic parts: citing the whole says nothing about which condition a
    check checks); the number of them."""
    n = 0
    for t in tests:
        for r in (x for x in t.requirements if x in reg.groups):
            print(f"{t.loc}: test {t.name} cites {r}, which has parts ({', '.join(reg.groups[r])}): "
                  "cite the parts its checks check", file=out)
            n += 1
    return n


def render(images: list, tests: list) -> str:
    doc = {"images": [i.to_json() for i in images], "tests": [t.to_json() for t in tests]}
    return json.dumps(doc, indent=1) + "\n"


def write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
