"""Tests of scripts/hcabi_speccheck.py, the normative check of the spec.

Each test plants a small spec folder in tmp_path (a main document, hand-written
chapters, "generated" fragments and a two-requirement registry) and runs the
check on it, as CTest and the spec build do.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "hcabi_speccheck.py"

REGISTRY_TOP = '''
[registry]
format = 1
title = "test"

[[requirement]]
id = "X86-001"
area = "X86"
section = "registers"
since = "1.0"
text = "The hypervisor MUST do it."
'''

REGISTRY_EXT = '''
[extension]
name = "DEMO"
eid = 0x0001

[[function]]
name = "PING"
fid = 0
[[function.requirement]]
id = "DEMO-001"
text = "PING MUST return SUCCESS."
'''

FRAG_X86 = '''// DO NOT EDIT. Generated.
[[X86-001]]
[.requirement]
*X86-001* (since 1.0): The hypervisor MUST do it.
'''

FRAG_DEMO = '''// DO NOT EDIT. Generated.
[[ext-demo]]
== DEMO: Demo

[[fn-demo-ping]]
=== DEMO.PING

.Requirements
[[DEMO-001,DEMO-001]]
[.requirement]
*DEMO-001* (since 1.0): PING MUST return `SUCCESS`.

.Statuses
[cols="1,1",options="header"]
|===
|Status |When
|`SUCCESS` |Always.
|===
'''

MAIN = '''= Test spec
:toc: left

include::chapters/intro.adoc[]

include::generated/ext-demo.adoc[]
'''

INTRO = '''[[sec-intro]]
== Introduction

The key words `MUST` and `SHALL NOT` are as in RFC 2119; this text must not use them
in capitals.

[[req-x86-registers]]
=== Registers

include::../generated/req/x86-registers.adoc[]
'''


def plant(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    """A clean spec folder, with `files` (relative path -> text) added or replaced."""
    spec = tmp_path / "spec"
    base = {
        "registry/hcabi.toml": REGISTRY_TOP,
        "registry/extensions/demo.toml": REGISTRY_EXT,
        "generated/req/x86-registers.adoc": FRAG_X86,
        "generated/ext-demo.adoc": FRAG_DEMO,
        "hcabi-spec.adoc": MAIN,
        "chapters/intro.adoc": INTRO,
    }
    base.update(files or {})
    for rel, text in base.items():
        path = spec / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return spec


def check(spec: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--spec", str(spec), *extra],
                          capture_output=True, text=True, timeout=60)


def test_clean_document_passes(tmp_path: Path) -> None:
    r = check(plant(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "normative check OK" in r.stdout
    assert "2 registry requirements" in r.stdout


@pytest.mark.parametrize("keyword", ["MUST", "MUST NOT", "SHALL", "SHALL NOT", "REQUIRED"])
def test_keyword_in_hand_written_paragraph_fails(tmp_path: Path, keyword: str) -> None:
    intro = INTRO + f"\nA hypervisor {keyword} be fast.\nAnd this is the second line.\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    line = intro.splitlines().index(f"A hypervisor {keyword} be fast.") + 1
    assert f"spec/chapters/intro.adoc:{line}: error: normative keyword {keyword}" in r.stderr


def test_keyword_in_backticks_or_lower_case_passes(tmp_path: Path) -> None:
    intro = INTRO + "\nThe word `MUST` is quoted, ``MUST NOT`` too, and lower-case must is fine.\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 0, r.stderr


def test_keyword_inside_an_identifier_passes(tmp_path: Path) -> None:
    intro = INTRO + "\nThe flag HCABI_REQUIRED_FLAG and MUSTARD are not keywords.\n"
    assert check(plant(tmp_path, {"chapters/intro.adoc": intro})).returncode == 0


def test_keyword_in_comments_passes(tmp_path: Path) -> None:
    intro = INTRO + "\n// A comment MUST be ignored.\n\n////\nSo MUST a comment block.\n////\n"
    assert check(plant(tmp_path, {"chapters/intro.adoc": intro})).returncode == 0


def test_keyword_in_table_cell_fails_with_its_line(tmp_path: Path) -> None:
    intro = INTRO + '\n[cols="1,1"]\n|===\n|A |B\n|C |The hypervisor SHALL win.\n|===\n'
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    line = intro.splitlines().index("|C |The hypervisor SHALL win.") + 1
    assert f"intro.adoc:{line}: error: normative keyword SHALL" in r.stderr


def test_keyword_in_listing_block_fails(tmp_path: Path) -> None:
    intro = INTRO + "\n[source,c]\n----\n/* the caller MUST clear RAX */\n----\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    assert "normative keyword MUST" in r.stderr


def test_anchor_does_not_cover_the_next_block(tmp_path: Path) -> None:
    # A keyword in a generated file is fine on the requirement's own paragraph, but not
    # in the paragraph or list item that follows it.
    frag = FRAG_X86 + "\n* and this list item MUST fail.\n"
    r = check(plant(tmp_path, {"generated/req/x86-registers.adoc": frag}))
    assert r.returncode == 1
    assert "spec/generated/req/x86-registers.adoc:6: error: normative keyword MUST" in r.stderr


def test_requirement_with_block_title_before_its_anchor_passes(tmp_path: Path) -> None:
    # The generated function sections put ".Requirements" straight above the first anchor.
    r = check(plant(tmp_path))
    assert "ext-demo.adoc" not in r.stderr


def test_non_requirement_anchor_does_not_license_keyword(tmp_path: Path) -> None:
    intro = INTRO + "\n[[sec-example]]\nAn example MUST NOT be normative.\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    assert "normative keyword MUST NOT" in r.stderr


def test_requirement_anchor_in_hand_written_file_fails(tmp_path: Path) -> None:
    intro = INTRO + "\n[[X86-002]]\nThe hypervisor MUST be handwritten.\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    line = intro.splitlines().index("[[X86-002]]") + 1
    assert f"spec/chapters/intro.adoc:{line}: error: requirement anchor [[X86-002]] in a hand-written file" in r.stderr


def test_registry_requirement_anchor_copied_by_hand_fails(tmp_path: Path) -> None:
    # Restating a registry requirement by hand: both the hand-written anchor and the
    # double rendering are reported.
    intro = INTRO + "\n[[DEMO-001]]\n*DEMO-001*: PING MUST return SUCCESS.\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    assert "requirement anchor [[DEMO-001]] in a hand-written file" in r.stderr
    assert "requirement DEMO-001 is rendered 2 times" in r.stderr


def test_duplicate_anchor_across_generated_files_fails(tmp_path: Path) -> None:
    other = "// DO NOT EDIT.\n[[X86-001]]\n*X86-001*: again MUST.\n"
    r = check(plant(tmp_path, {"generated/req/x86-other.adoc": other}))
    assert r.returncode == 1
    assert "requirement anchor [[X86-001]] is defined again" in r.stderr


def test_fragment_included_twice_fails(tmp_path: Path) -> None:
    intro = INTRO + "\n=== Again\n\ninclude::../generated/req/x86-registers.adoc[]\n"
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    assert "requirement X86-001 is rendered 2 times" in r.stderr


def test_requirement_not_rendered_fails(tmp_path: Path) -> None:
    intro = INTRO.replace("include::../generated/req/x86-registers.adoc[]\n", "")
    r = check(plant(tmp_path, {"chapters/intro.adoc": intro}))
    assert r.returncode == 1
    assert "requirement X86-001" in r.stderr and "is not rendered" in r.stderr


def test_anchor_unknown_to_registry_fails(tmp_path: Path) -> None:
    frag = FRAG_X86 + "\n[[X86-099]]\n*X86-099*: a stale requirement MUST go.\n"
    r = check(plant(tmp_path, {"generated/req/x86-registers.adoc": frag}))
    assert r.returncode == 1
    assert "[[X86-099]] is not a requirement of the registry" in r.stderr


def test_missing_include_fails(tmp_path: Path) -> None:
    main = MAIN + "\ninclude::chapters/missing.adoc[]\n"
    r = check(plant(tmp_path, {"hcabi-spec.adoc": main}))
    assert r.returncode == 1
    assert "include target chapters/missing.adoc not found" in r.stderr


def test_soft_keyword_warns_and_fails_only_when_strict(tmp_path: Path) -> None:
    spec = plant(tmp_path, {"chapters/intro.adoc": INTRO + "\nA guest SHOULD probe first.\n"})
    r = check(spec)
    assert r.returncode == 0
    assert "warning: keyword SHOULD outside a requirement" in r.stderr
    assert check(spec, "--strict").returncode == 1


def test_html_check_finds_missing_and_repeated_anchors(tmp_path: Path) -> None:
    manifest = tmp_path / "requirements.json"
    manifest.write_text('{"requirements": [{"id": "X86-001"}, {"id": "DEMO-001"}], "extensions": '
                        '[{"name": "DEMO", "functions": [{"anchor": "fn-demo-ping"}]}]}')
    good = tmp_path / "good.html"
    good.write_text('<div id="X86-001"></div><p id="DEMO-001"></p><h2 id="ext-demo"></h2><h3 id="fn-demo-ping"></h3>')
    assert check(tmp_path, "--html", str(good), "--manifest", str(manifest)).returncode == 0
    bad = tmp_path / "bad.html"
    bad.write_text('<div id="X86-001"></div><div id="X86-001"></div><h2 id="ext-demo"></h2>')
    r = check(tmp_path, "--html", str(bad), "--manifest", str(manifest))
    assert r.returncode == 1
    assert 'no element with id="DEMO-001"' in r.stderr
    assert 'no element with id="fn-demo-ping"' in r.stderr
    assert 'id="X86-001" appears 2 times' in r.stderr


@pytest.mark.parametrize("symbol", ["(C)", "(R)", "(TM)"])
def test_replacement_symbol_in_a_title_fails(tmp_path: Path, symbol: str) -> None:
    spec = plant(tmp_path, {"chapters/intro.adoc": INTRO + f"\n.Finding it {symbol}\n[source,c]\n----\nx;\n----\n"})
    r = check(spec)
    assert r.returncode == 1
    assert f"chapters/intro.adoc:12: error: {symbol} renders as a symbol" in r.stderr


def test_replacement_symbol_escaped_or_in_code_passes(tmp_path: Path) -> None:
    spec = plant(tmp_path, {"chapters/intro.adoc": INTRO + "\nEscaped \\(C), code `(C)`.\n\n----\nf(C);\n----\n"})
    r = check(spec)
    assert r.returncode == 0, r.stderr


def test_a_bare_cited_id_in_a_hand_written_file_fails(tmp_path: Path) -> None:
    spec = plant(tmp_path, {"chapters/intro.adoc": INTRO + "\nAs X86-001 says.\n"})
    r = check(spec)
    assert r.returncode == 1
    assert "chapters/intro.adoc:12: error: requirement X86-001 is cited as plain text" in r.stderr
    linked = plant(tmp_path, {"chapters/intro.adoc": INTRO + "\nAs <<X86-001>> and <<X86-001,it>> say; `X86-001`.\n"})
    assert check(linked).returncode == 0


VERSIONED_TOP = REGISTRY_TOP + '''
[[version]]
version = "1.0"
[[version]]
version = "1.1"

[[requirement]]
id = "X86-002"
area = "X86"
section = "registers"
since = "1.1"
text = "The hypervisor MUST do more."
'''
FRAG_X86_11 = FRAG_X86 + '''
[[X86-002]]
[.requirement]
*X86-002* (since 1.1): The hypervisor MUST do more.
'''


def test_a_document_renders_exactly_the_requirements_of_its_version(tmp_path: Path) -> None:
    spec = plant(tmp_path, {"registry/hcabi.toml": VERSIONED_TOP, "generated/req/x86-registers.adoc": FRAG_X86_11})
    assert check(spec).returncode == 0  # the newest, 1.1, by default
    r = check(spec, "--version", "1.0")
    assert r.returncode == 1
    assert "requirement anchor [[X86-002]] is not a requirement of the registry at version 1.0" in r.stderr
    spec = plant(tmp_path, {"registry/hcabi.toml": VERSIONED_TOP})
    assert check(spec, "--version", "1.0").returncode == 0
    assert re.search(r"requirement X86-002 \(\S+\) is not rendered", check(spec).stderr)


def test_parts_must_be_rendered_from_their_version(tmp_path: Path) -> None:
    top = VERSIONED_TOP.replace('text = "The hypervisor MUST do it."', '''text = "The hypervisor MUST do it."
[[requirement.part]]
id = "X86-001.1"
text = "The hypervisor MUST do it."''') + '''
[[version]]
version = "1.2"
'''
    spec = plant(tmp_path, {"registry/hcabi.toml": top, "generated/req/x86-registers.adoc": FRAG_X86_11})
    assert check(spec, "--version", "1.1").returncode == 0
    r = check(spec, "--version", "1.2")
    assert r.returncode == 1 and "requirement X86-001.1 (" in r.stderr and "is not rendered" in r.stderr
    parts = FRAG_X86_11 + "\n[[X86-001.1]]\n[.requirement]\n*X86-001.1*: The hypervisor MUST do it.\n"
    spec = plant(tmp_path, {"registry/hcabi.toml": top, "generated/req/x86-registers.adoc": parts})
    assert check(spec, "--version", "1.2").returncode == 0
    assert "[[X86-001.1]] is not a requirement of the registry at version 1.1" in check(spec, "--version", "1.1").stderr


def test_the_real_specification_passes() -> None:
    r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


# Parts of a compound requirement (ID.N): known to the check, rendered at most once.
REGISTRY_EXT_PARTS = REGISTRY_EXT + '''[[function.requirement.part]]
id = "DEMO-001.1"
text = "PING MUST return."
[[function.requirement.part]]
id = "DEMO-001.2"
text = "PING MUST return SUCCESS."
'''
PART_BLOCK = "\n[[DEMO-001.1,DEMO-001.1]]\n[.requirement]\n*DEMO-001.1*: PING MUST return.\n"


def test_part_rendered_twice_or_unknown_fails(tmp_path: Path) -> None:
    spec = plant(tmp_path, {"registry/extensions/demo.toml": REGISTRY_EXT_PARTS,
                            "generated/ext-demo.adoc": FRAG_DEMO + PART_BLOCK,
                            "generated/req/x86-registers.adoc": FRAG_X86 + PART_BLOCK.replace("[[DEMO-001.1,DEMO-001.1]]", "[[DEMO-001.1]]")})
    r = check(spec)
    assert r.returncode == 1
    assert "requirement anchor [[DEMO-001.1]] is defined again" in r.stderr
    spec = plant(tmp_path, {"generated/ext-demo.adoc": FRAG_DEMO + PART_BLOCK})  # the registry has no parts
    r = check(spec)
    assert r.returncode == 1
    assert "[[DEMO-001.1]] is not a requirement of the registry" in r.stderr
