"""Where the runner looks for its data: a checkout, or an installed prefix
(hcabi_conform/layout.py; cmake --install writes installed-layout.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hcabi_conform import layout
from hcabi_conform.errors import EnvError


def test_a_checkout_uses_its_build_directory_and_sources() -> None:
    root = Path(__file__).resolve().parents[2]
    got = layout.current()  # this checkout has no installed-layout.json
    assert got == layout.checkout(root)
    assert not got.installed
    assert got.build == root / "build"
    assert got.requirements == root / "spec" / "generated" / "requirements.json"
    assert got.exit_statuses.is_file()
    assert got.refvmm_for(root / "b2") == root / "b2" / "reference-impl" / "refvmm" / "hcabi-refvmm"


def _install(tmp_path: Path, **data: object) -> Path:
    """A prefix laid out as cmake --install lays it: the package in
    share/hcabi/runner/hcabi_conform, the suite in lib/hcabi."""
    pkg = tmp_path / "share" / "hcabi" / "runner" / "hcabi_conform"
    pkg.mkdir(parents=True)
    (tmp_path / "lib" / "hcabi").mkdir(parents=True)
    path = pkg / "installed-layout.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_installed_package_uses_the_installed_suite(tmp_path: Path) -> None:
    path = _install(tmp_path, data_dir="../../../../lib/hcabi", refvmm="../../../../bin/hcabi-refvmm", spec_dir="../../../doc/hcabi/spec", suite_version="1.0")
    got = layout.from_file(path)
    suite = (tmp_path / "lib" / "hcabi").resolve()
    assert got.installed
    assert got.build == suite  # BUILD/conformance/{tests.json,images} is SUITE/conformance/...
    assert got.requirements == suite / "requirements.json"
    assert got.exit_statuses == suite / "exit_statuses.def"
    assert got.source_root is None and got.suite_version == "1.0"
    assert got.spec_dir == (tmp_path / "share" / "doc" / "hcabi" / "spec").resolve()
    # the installed refvmm for the installed suite; a build directory's own otherwise
    assert got.refvmm_for(suite) == (tmp_path / "bin" / "hcabi-refvmm").resolve()
    assert got.refvmm_for(tmp_path / "build") == tmp_path / "build" / "reference-impl" / "refvmm" / "hcabi-refvmm"


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "cannot read the installed layout"),
        ("[]", "expected a JSON object"),
        ('{"refvmm": "x", "suite_version": "1.0"}', "$.data_dir: expected a non-empty string"),
        ('{"data_dir": "x", "refvmm": 3, "spec_dir": "s", "suite_version": "1.0"}', "$.refvmm: expected a non-empty string"),
        ('{"data_dir": "x", "refvmm": "r", "suite_version": "1.0"}', "$.spec_dir: expected a non-empty string"),
    ],
)
def test_a_broken_layout_file_is_one_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = _install(tmp_path)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EnvError) as e:
        layout.from_file(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)
    assert "\n" not in str(e.value)
