"""Generate every derived file from the HCABI registry.

Outputs (all committed, all carrying a DO NOT EDIT banner):
  abi.h                            constants, IDs, layouts, call wrappers (hcabi_gen_abi.py)
  spec/generated/*.adoc            the function reference and tables the spec includes,
                                   for the newest version (hcabi_gen_adoc.py), and the
                                   history, changes-since appendix and document attributes
                                   (hcabi_gen_history.py)
  spec/generated/requirements.json the manifest the conformance tooling reads
  spec/generated/binding_reqs.h    the requirement ID of each binding topic a check names,
                                   per architecture (hcabi_gen_binding_reqs.py)
  CHANGELOG                        one section per version

The documents of older versions and the change-marked ones are written at build time,
by the same modules seen at another version (scripts/hcabi_specbuild.py).

`--check` compares instead of writing and exits 1 naming every stale file, so a
CTest test can fail when the committed files differ from the generator's output.

Exit status: 0 written or up to date, 1 stale (--check), 2 usage (--root not an
existing folder), 4 the registry is unreadable or invalid, or an output cannot be
read or written (one line each, naming the file).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_gen_abi as gabi  # noqa: E402
import hcabi_gen_adoc as gadoc  # noqa: E402
import hcabi_gen_binding_reqs as gbreqs  # noqa: E402
import hcabi_gen_history as ghist  # noqa: E402
import hcabi_load as hl  # noqa: E402
import hcabi_registry as hr  # noqa: E402
from hcabi_spec_view import View  # noqa: E402

PROG = "hcabi_gen"


def released_versions(registry: Path) -> set[str]:
    """Versions frozen under REGISTRY/releases/X.Y (released); any other is a draft."""
    rel = registry / "releases"
    return {p.name for p in rel.iterdir() if p.is_dir()} if rel.is_dir() else set()


def spec_files(view: View, released: set[str]) -> dict[str, str]:
    """The spec's generated AsciiDoc files for one view, by name under generated/."""
    files: dict[str, str] = {}
    for ext in view.extensions():
        files[f"ext-{ext.name.lower()}.adoc"] = gadoc.gen_extension_adoc(view, ext)
    for name, text in gadoc.gen_req_fragments(view).items():
        files[f"req/{name}.adoc"] = text
    for name, text in gadoc.gen_tables_adoc(view).items():
        files[f"{name}.adoc"] = text
    files["history.adoc"] = ghist.gen_history(view)
    files["attributes.adoc"] = ghist.gen_attributes(view, released)
    files["requirements-index.adoc"] = gadoc.gen_requirements_index(view)
    files["extension-chapters.adoc"] = "\n".join(
        [gadoc.banner()] + [f"include::ext-{e.name.lower()}.adoc[]\n" for e in view.extensions()])
    files["changes-since.adoc"] = ghist.gen_changes_since(view.reg, view.versions())
    files["requirements.json"] = ghist.gen_manifest(view)
    files["binding_reqs.h"] = gbreqs.gen_binding_reqs_h(view.reg)
    return files


def outputs(reg: hr.Registry, released: set[str] | None = None) -> dict[str, str]:
    """Every committed file: abi.h, CHANGELOG and the newest version's spec files."""
    files = {"abi.h": gabi.gen_abi_h(reg), "CHANGELOG": ghist.gen_changelog(reg)}
    for name, text in spec_files(View(reg, reg.newest_version), released or set()).items():
        files[f"spec/generated/{name}"] = text
    return files


def main(argv: list[str] | None = None) -> int:
    ap = hl.Parser(
        prog=PROG, description="Generate abi.h, the spec's reference and the manifest from the registry.",
        epilog="Exit status: 0 written (or up to date), 1 --check found stale files, 2 usage (a bad --root), "
               "4 the registry cannot be read or is invalid, or an output cannot be read or written.")
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    ap.add_argument("--registry", default=str(hr.DEFAULT_REGISTRY), help="registry folder")
    ap.add_argument("--root", default=str(hr.REPO_ROOT),
                    help="where to write (the repository root); an existing folder")
    args = ap.parse_args(argv)
    root = Path(args.root)
    if not root.is_dir():  # never created: a typo must not scatter a second tree
        ap.error(f"--root {root}: {'not a folder' if root.exists() else 'no such folder'}")
    try:
        reg = hr.load(Path(args.registry))
    except hr.RegistryError as e:
        for line in e.problems:
            print(f"registry error: {line}", file=sys.stderr)
        return 4
    files = outputs(reg, released_versions(Path(args.registry)))
    try:
        stale = hl.sync_tree(root, files, "spec/generated", args.check)
    except hl.InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 4
    if args.check:
        if stale:
            for rel in stale:
                print(f"stale generated file: {rel} (run `cmake --build build --target regen`)", file=sys.stderr)
            return 1
        print(f"generated files up to date ({len(files)} files)")
        return 0
    print(f"wrote {len(stale)} of {len(files)} generated files")
    return 0


if __name__ == "__main__":
    raise SystemExit(hl.run_main(PROG, main))
