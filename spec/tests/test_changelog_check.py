"""Tests of scripts/hcabi_changelog_check.py: CHANGELOG and the spec's history agree.

Each test copies the committed CHANGELOG, spec/generated/history.adoc and
spec/generated/changes-since.adoc into tmp_path, changes one thing, and runs the check
against the real registry (or a changed copy of it), as CTest's spec.changelog_agrees
runs it on the checkout.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "hcabi_changelog_check.py"
REGISTRY = REPO / "spec" / "registry"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "spec" / "generated").mkdir(parents=True)
    shutil.copy(REPO / "CHANGELOG", tmp_path / "CHANGELOG")
    for name in ("history.adoc", "changes-since.adoc"):
        shutil.copy(REPO / "spec" / "generated" / name, tmp_path / "spec" / "generated" / name)
    return tmp_path


def run(root: Path, registry: Path = REGISTRY) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), "--registry", str(registry)],
                          capture_output=True, text=True, timeout=120)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def newest(root: Path) -> str:
    m = re.search(r"^## HCABI (\d+\.\d+) ", (root / "CHANGELOG").read_text(), re.M)
    assert m
    return m.group(1)


def test_committed_files_agree(root: Path) -> None:
    r = run(root)
    assert r.returncode == 0, r.stderr
    assert "agree" in r.stdout


def test_missing_version_in_changelog(root: Path) -> None:
    v = newest(root)
    text = (root / "CHANGELOG").read_text()
    start = text.index(f"## HCABI {v} ")
    end = text.index("## HCABI ", start + 1)
    (root / "CHANGELOG").write_text(text[:start] + text[end:])
    r = run(root)
    assert r.returncode == 1
    assert f"HCABI {v}: in history.adoc, missing from CHANGELOG" in r.stderr


def test_changed_change_item(root: Path) -> None:
    text = (root / "CHANGELOG").read_text()
    m = re.search(r"^- (?!Functions introduced)(\S+)", text, re.M)
    assert m
    edit(root / "CHANGELOG", m.group(0), "- EDITED " + m.group(1))
    r = run(root)
    assert r.returncode == 1
    assert re.search(r"HCABI \d+\.\d+: change 1 differs: CHANGELOG 'EDITED ", r.stderr), r.stderr


def test_reordered_change_items(root: Path) -> None:
    path = root / "spec" / "generated" / "history.adoc"
    lines = path.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("* "))
    assert lines[first + 1].startswith("* "), "the newest version needs two changes for this test"
    lines[first], lines[first + 1] = lines[first + 1], lines[first]
    path.write_text("".join(lines))
    r = run(root)
    assert r.returncode == 1
    assert "change 1 differs" in r.stderr and "change 2 differs" in r.stderr


def test_extra_change_item(root: Path) -> None:
    text = (root / "CHANGELOG").read_text()
    i = text.index("- Functions introduced:")
    (root / "CHANGELOG").write_text(text[:i] + "- A change nobody made.\n" + text[i:])
    r = run(root)
    assert r.returncode == 1
    assert "only in CHANGELOG: 'A change nobody made.'" in r.stderr


def test_functions_introduced_differ(root: Path) -> None:
    edit(root / "spec" / "generated" / "history.adoc", "Functions introduced: <<",
         "Functions introduced: <<fn-base-get-spec-version,BASE.GET_SPEC_VERSION>>, <<")
    r = run(root)
    assert r.returncode == 1
    assert "functions introduced differ" in r.stderr


def test_date_differs(root: Path) -> None:
    v = newest(root)
    text = (root / "CHANGELOG").read_text()
    m = re.search(rf"^## HCABI {re.escape(v)} \((\d{{4}})-", text, re.M)
    assert m
    edit(root / "CHANGELOG", m.group(0), m.group(0).replace(m.group(1), "1999"))
    r = run(root)
    assert r.returncode == 1
    assert f"HCABI {v}: date 1999-" in r.stderr


def test_changes_since_functions_differ(root: Path) -> None:
    path = root / "spec" / "generated" / "changes-since.adoc"
    text = path.read_text()
    if "|Functions |none" in text:
        pytest.skip("the newest version adds no function")
    path.write_text(re.sub(r"^\|Functions \|.*$", "|Functions |none", text, count=1, flags=re.M))
    r = run(root)
    assert r.returncode == 1
    assert "changes-since.adoc lists functions none" in r.stderr


def test_registry_disagrees_with_both(root: Path, tmp_path: Path) -> None:
    reg = tmp_path / "registry"
    shutil.copytree(REGISTRY, reg)
    text = (reg / "hcabi.toml").read_text()
    m = re.search(r'^summary = "([^"]+)"', text, re.M)
    assert m
    (reg / "hcabi.toml").write_text(text.replace(m.group(0), 'summary = "Not what the files say."', 1))
    r = run(root, reg)
    assert r.returncode == 1
    assert "the registry" in r.stderr and "summary differs" in r.stderr


def test_unparseable_history(root: Path) -> None:
    path = root / "spec" / "generated" / "history.adoc"
    path.write_text(re.sub(r"^Functions introduced:.*$", "", path.read_text(), flags=re.M))
    r = run(root)
    assert r.returncode == 2
    assert "no 'Functions introduced:' line" in r.stderr
