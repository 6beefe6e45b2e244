"""Load and validate the HCABI registry (spec/registry/).

The registry is the single source of truth for the ABI. This module is the only
reader of its TOML files: the generator, the coverage and compatibility tools
all take the model it builds (scripts/hcabi_registry_model.py, whose names it
re-exports). Validation happens in two steps: the JSON schema (shape and types,
via Debian's python3-jsonschema), then cross-checks that a schema cannot express
(scripts/hcabi_registry_check.py: uniqueness, ranges, layouts, references). Every
error names the file and the entry.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import hcabi_load as hl
from hcabi_registry_check import check
from hcabi_registry_model import (  # noqa: F401 - re-exported: the tools import hcabi_registry only
    ARCH_AREAS, ARCHES, BINDING_AREAS, BINDING_TOPICS, C_TYPES, DEFAULT_ARCH, TYPE_SIZES, Arg, ArgField, Constant, Extension, Function, Part, Registry,
    RegistryError, Requirement, StatusUse, Struct, StructField, area_arch, parse_version, version_code)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = REPO_ROOT / "spec" / "registry"


# ---------------------------------------------------------------------------
# Loading

def _read_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        return hl.read_toml(path, _rel(path))
    except hl.InputError as e:
        problems.append(str(e))
    return None


def load_raw(root: Path = DEFAULT_REGISTRY) -> dict[str, Any]:
    """Read the TOML files into one document (the schema's shape)."""
    if not root.is_dir():
        raise RegistryError([f"{_rel(root)}: " + ("not a folder" if root.exists() else "no such folder")])
    if not (root / "hcabi.toml").exists() and not (root / "extensions").exists():
        raise RegistryError([f"{_rel(root)}: not a registry folder (it has no hcabi.toml and no extensions/)"])
    problems: list[str] = []
    top = _read_toml(root / "hcabi.toml", problems)
    ext_dir = root / "extensions"
    exts: list[dict[str, Any]] = []
    if not ext_dir.is_dir():
        problems.append(f"{_rel(ext_dir)}: missing: the registry has no extensions folder")
    else:
        for path in sorted(ext_dir.glob("*.toml")):
            doc = _read_toml(path, problems)
            if doc is not None:
                doc["__file__"] = _rel(path)
                exts.append(doc)
    bindings: list[dict[str, Any]] = []
    for path in sorted((root / "bindings").glob("*.toml")):  # none in a release before the first binding
        doc = _read_toml(path, problems)
        if doc is not None:
            doc["__file__"] = _rel(path)
            bindings.append(doc)
    if problems:
        raise RegistryError(problems)
    assert top is not None
    top["extensions"] = exts
    if bindings:
        top["bindings"] = bindings
    top["__file__"] = _rel(root / "hcabi.toml")
    return top


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _schema_errors(doc: dict[str, Any], schema_path: Path) -> list[str]:
    try:
        import jsonschema  # Debian: python3-jsonschema
    except ImportError:
        return [f"{schema_path}: cannot validate: the python3-jsonschema package is not installed "
                "(run scripts/setup-debian.sh, and use /usr/bin/python3)"]
    try:
        schema = hl.read_json(schema_path, _rel(schema_path))
        jsonschema.Draft202012Validator.check_schema(schema)
    except hl.InputError as e:
        return [str(e)]
    except jsonschema.SchemaError as e:
        return [f"{_rel(schema_path)}: {hl.loc(list(e.absolute_path))}: not a valid JSON schema: "
                f"{hl.one_line(e.message)[:120]}"]
    top_file = doc.get("__file__", "spec/registry/hcabi.toml")
    body = {k: v for k, v in doc.items() if k != "__file__"}
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(err.absolute_path)
        where = top_file
        if len(path) >= 2 and path[0] in ("extensions", "bindings") and isinstance(path[1], int):
            where = doc[path[0]][path[1]].get("__file__", where)
            path = path[2:]
        entry = _describe_path(body, list(err.absolute_path))
        line = f"{where}: {hl.loc(path)}: {hl.schema_message(err)}" + (f" (entry {entry.rstrip(': ')})" if entry else "")
        if line not in out:
            out.append(line)
    return out


def _describe_path(doc: Any, path: list[Any]) -> str:
    """Name the entry a schema error sits in, e.g. "function GET_ID: "."""
    node = doc
    label = ""
    for p in path:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            for key in ("id", "name", "version"):
                if isinstance(node.get(key), str):
                    name = node[key]
                    label = f"{name if len(name) <= 40 else name[:37] + '...'}: "
                    break
    return label


def load(root: Path = DEFAULT_REGISTRY) -> Registry:
    """Load and validate the registry; raise RegistryError listing every problem."""
    doc = load_raw(root)
    problems = _schema_errors(doc, root / "registry.schema.json")
    if problems:
        raise RegistryError(problems)
    reg = _build(doc)
    problems = check(reg)
    if problems:
        raise RegistryError(problems)
    return reg


def _build(doc: dict[str, Any]) -> Registry:
    top_file = doc["__file__"]
    requirements: list[Requirement] = []
    constants = [Constant(c["name"], c["value"], c["since"], c["doc"], None) for c in doc.get("constant", [])]
    binding_files = [(top_file, None, doc)] + [(b["__file__"], b["binding"]["arch"], b) for b in doc.get("bindings", [])]
    for file, arch, bdoc in binding_files:
        for r in bdoc["requirement"]:
            requirements.append(Requirement(
                id=r["id"], text=r["text"].strip(), area=r.get("area") or ARCH_AREAS[arch][0], since=r["since"],
                file=file, section=r["section"], parts=_parts(r), applies_with=tuple(r.get("applies_with", [])),
                replaces=tuple(r.get("replaces", [])), maps=tuple(r.get("maps", [])), topic=r.get("topic")))
        if arch is not None:
            constants += [Constant(c["name"], c["value"], c["since"], c["doc"], None, arch)
                          for c in bdoc.get("constant", [])]
    common = {k: v for k, v in doc["common_status"].items()}
    extensions: list[Extension] = []
    for e in doc["extensions"]:
        ed = e["extension"]
        ext = Extension(
            name=ed["name"], eid=ed["eid"], since=ed["since"], title=ed["title"], summary=ed["summary"],
            description=ed.get("description", "").strip(),
            versions=[(v["number"], v["since"]) for v in ed["version"]], file=e["__file__"],
            reserved_fids=[(r["fid"], r["since"], r["reason"].strip()) for r in ed.get("reserved_fid", [])])
        for c in e.get("constant", []):
            ext.constants.append(Constant(c["name"], c["value"], c["since"], c["doc"], ext.name))
        for s in e.get("struct", []):
            ext.structs.append(Struct(
                name=s["name"], since=s["since"], size=s["size"], doc=s["doc"], extension=ext.name,
                arch=s.get("arch"),
                fields=[StructField(f["name"], f["type"], f["offset"], f.get("count", 1),
                                    f.get("reserved", False), f["doc"], f.get("since", s["since"]))
                        for f in s["field"]]))
        for f in e["function"]:
            args = []
            for a in f.get("arg", []):
                fields = []
                for af in a.get("field", []):
                    hi, _, lo = af["bits"].partition(":")
                    fields.append(ArgField(af["name"], int(hi), int(lo or hi), af["since"], af["doc"]))
                args.append(Arg(a["name"], a["type"], a["doc"], a.get("since", f["since"]),
                                a.get("gpa", False), a.get("align"), a.get("unit"), fields))
            declared = [StatusUse(s["name"], s["when"], s.get("since")) for s in f.get("status", [])]
            names = {s.name for s in declared}
            statuses = declared + [StatusUse(n, w) for n, w in common.items() if n not in names]
            fn = Function(
                extension=ext, name=f["name"], fid=f["fid"], since=f["since"], summary=f["summary"],
                returns=f["returns"], description=f.get("description", "").strip(),
                deprecated=f.get("deprecated"), batchable=f.get("batchable", True),
                returns_on_success=f.get("returns_on_success", True), args=args,
                statuses=statuses, requirements=[])
            for r in f["requirement"]:
                req = Requirement(id=r["id"], text=r["text"].strip(), area=r.get("area", ext.name),
                                  since=r.get("since", fn.since), file=ext.file, function=fn.qualname,
                                  parts=_parts(r), applies_with=tuple(r.get("applies_with", [])),
                                  topic=r.get("topic"))
                fn.requirements.append(req)
                requirements.append(req)
            ext.functions.append(fn)
        extensions.append(ext)
    extensions.sort(key=lambda x: x.eid)
    return Registry(
        title=doc["registry"]["title"], versions=doc["version"], statuses=doc["status"],
        common_status=common, implementations=doc["implementation"], profiles=doc["profile"],
        constants=constants, requirements=requirements, extensions=extensions,
        files=[top_file] + [e["__file__"] for e in doc["extensions"]] + [b["__file__"] for b in doc.get("bindings", [])])


def _parts(r: dict[str, Any]) -> list[Part]:
    return [Part(p["id"], p["text"].strip(), tuple(p.get("applies_with", []))) for p in r.get("part", [])]


def main(argv: list[str] | None = None) -> int:
    """`python3 scripts/hcabi_registry.py [DIR]`: validate and summarise."""
    ap = hl.Parser(
        prog="hcabi_registry", description="Validate the HCABI registry.",
        epilog="Exit status: 0 valid, 2 usage, 4 the registry cannot be read or is invalid "
               "(one line per problem, naming the file and the entry).")
    ap.add_argument("registry", nargs="?", default=str(DEFAULT_REGISTRY), help="registry folder")
    args = ap.parse_args(argv)
    try:
        reg = load(Path(args.registry))
    except RegistryError as e:
        for line in e.problems:
            print(f"registry error: {line}", file=sys.stderr)
        return hl.EXIT_ERROR
    nfn = len(reg.functions())
    print(f"registry OK: {len(reg.extensions)} extensions, {nfn} functions, "
          f"{len(reg.requirements)} requirements ({sum(len(r.atomic_ids) for r in reg.requirements)} atomic), versions {', '.join(reg.version_names())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(hl.run_main("hcabi_registry", main))
