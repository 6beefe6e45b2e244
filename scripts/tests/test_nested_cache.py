"""Tests of the nested launcher's download cache, no network: Debian version
order, the kernel's choice, module order, and the checks of manifest.json."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import harness_testlib  # noqa: F401  (first: it puts the package roots on sys.path)
from hcabi_conform.errors import EnvError
from hcabi_nested.cache import CACHE_FORMAT, load_cache
from hcabi_nested.debian import Candidate, choose_kernel, compare_debian_versions, module_order, parse_kconfig, parse_madison
from hcabi_nested.elf import modinfo

# ---------------------------------------------------------------------------
# Debian packages


@pytest.mark.parametrize(
    "a, b, sign",
    [
        ("6.12.95-1~bpo12+1", "6.12.9-1~bpo12+1", 1),
        ("6.12.117-1~deb12u1", "6.12.95-1~bpo12+1", 1),
        ("6.12.95-1~bpo12+1", "6.12.95-1", -1),
        ("1:1.0", "2.0", 1),
        ("1.0~rc1", "1.0", -1),
        ("1.0", "1.0", 0),
        ("1.0-1", "1.0-1+b1", -1),
        ("1.0a", "1.0", 1),
        ("1.0.0", "1.0", 1),
    ],
)
def test_compare_debian_versions(a: str, b: str, sign: int) -> None:
    c = compare_debian_versions(a, b)
    assert (c > 0) - (c < 0) == sign
    c2 = compare_debian_versions(b, a)
    assert (c2 > 0) - (c2 < 0) == -sign


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg not installed")
def test_compare_debian_versions_agrees_with_dpkg() -> None:
    vs = ["6.12.95-1~bpo12+1", "6.12.9-1~bpo12+1", "6.12.117-1~deb12u1", "1:0.1", "6.12.95-1", "6.12.95+deb12.1-1", "6.12.95~rc1-1"]
    for a in vs:
        for b in vs:
            lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
            assert (compare_debian_versions(a, b) < 0) == lt, (a, b)


MADISON = """\
linux-image-6.12.95+deb12-amd64 | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.9+deb12-amd64 | 6.12.9-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.95+deb12-amd64-unsigned | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.117+deb12-amd64 | 6.12.117-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.99+deb12-cloud-amd64 | 6.12.99-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
     linux | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main Sources
"""


def test_parse_madison() -> None:
    cands = parse_madison(MADISON)
    assert len(cands) == 5
    assert cands[0] == Candidate("linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1", "bookworm-backports")
    assert cands[3].suite == "bookworm-security"


def test_choose_kernel_prefers_backports_newest_signed() -> None:
    best, from_bpo = choose_kernel(parse_madison(MADISON))
    assert (best.package, best.version, from_bpo) == ("linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1", True)
    # order of the input must not matter
    best2, _ = choose_kernel(reversed(parse_madison(MADISON)))
    assert best2 == best


def test_choose_kernel_falls_back_to_other_suites() -> None:
    only_security = [c for c in parse_madison(MADISON) if c.suite != "bookworm-backports"]
    best, from_bpo = choose_kernel(only_security)
    assert (best.package, from_bpo) == ("linux-image-6.12.117+deb12-amd64", False)


def test_choose_kernel_none() -> None:
    with pytest.raises(EnvError, match="setup-debian.sh"):
        choose_kernel([Candidate("linux-image-6.1.0-9-amd64", "6.1.0", "bookworm")])


def test_module_order() -> None:
    deps = {"kvm_amd": ["kvm", "ccp"], "kvm": ["irqbypass"], "ccp": [], "irqbypass": [], "kvm_intel": ["kvm"]}
    assert module_order(["kvm_amd"], deps) == ["irqbypass", "kvm", "ccp", "kvm_amd"]
    assert module_order(["kvm_amd", "kvm_intel"], deps) == ["irqbypass", "kvm", "ccp", "kvm_amd", "kvm_intel"]
    with pytest.raises(EnvError, match="not in the kernel package"):
        module_order(["x"], {"x": ["y"]})
    with pytest.raises(EnvError, match="cycle"):
        module_order(["a"], {"a": ["b"], "b": ["a"]})


def test_modinfo_of_a_built_module(tmp_path: Path) -> None:
    """An ELF object with a .modinfo section, as the kernel build makes it."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    src = tmp_path / "m.c"
    src.write_text(
        'static const char a[] __attribute__((section(".modinfo"), used)) = "depends=kvm,ccp";\n'
        'static const char b[] __attribute__((section(".modinfo"), used)) = "name=kvm_amd";\n'
    )
    obj = tmp_path / "m.o"
    subprocess.run([cc, "-c", "-o", str(obj), str(src)], check=True)
    info = modinfo(obj.read_bytes())
    assert info["depends"] == ["kvm,ccp"]
    assert info["name"] == ["kvm_amd"]


def test_kconfig() -> None:
    cfg = parse_kconfig("# CONFIG_FOO is not set\nCONFIG_KVM=m\nCONFIG_KVM_XEN=y\nCONFIG_S=\"a=b\"\n")
    assert cfg == {"CONFIG_KVM": "m", "CONFIG_KVM_XEN": "y", "CONFIG_S": '"a=b"'}


def _manifest(**sha: str) -> dict:
    kernel = {"package": "p", "release": "r", "vmlinuz": "vmlinuz", "modules_dir": "m", "channel_modules": [],
              "kvm_modules": {"amd": ["kvm"]}}
    return {"format": CACHE_FORMAT, "kernel": kernel, "busybox": {"binary": "bb"}, "sha256": sha}


def test_load_cache_rejects_damage(tmp_path: Path) -> None:
    """A damaged file of the cache means: fill it again (None)."""
    import hashlib
    import json

    (tmp_path / "vmlinuz").write_bytes(b"k")
    (tmp_path / "manifest.json").write_text(json.dumps(_manifest(vmlinuz=hashlib.sha256(b"k").hexdigest())))
    assert load_cache(tmp_path) is not None
    (tmp_path / "vmlinuz").write_bytes(b"K")
    assert load_cache(tmp_path) is None
    (tmp_path / "vmlinuz").unlink()
    assert load_cache(tmp_path) is None
    (tmp_path / "manifest.json").write_text(json.dumps(dict(_manifest(), format=CACHE_FORMAT + 1)))
    assert load_cache(tmp_path) is None  # another format: filled again in this one
    assert load_cache(tmp_path / "nowhere") is None


@pytest.mark.parametrize("text, message", [
    ("{not json", "manifest.json: line 1: not valid JSON: Expecting property name enclosed in double quotes"),
    ("[" * 5000 + "]" * 5000, "manifest.json: not valid JSON: nested too deeply (at most 32 levels)"),
    ("[1]", "manifest.json: (top level): expected a table, found a list"),
    ('{"format": 1, "kernel": {"release": 5}}', "manifest.json: kernel.release: expected a string, found an integer"),
    ('{"format": 1, "kernel": {"release": "r"}}', "manifest.json: kernel.vmlinuz: missing"),
])
def test_load_cache_refuses_a_manifest_it_did_not_write(tmp_path: Path, text: str, message: str) -> None:
    """Not an interrupted download (the manifest is replaced atomically): an error, and the cache is left alone."""
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(EnvError) as e:
        load_cache(tmp_path)
    assert str(e.value) == f"{tmp_path}/{message} (delete the cache {tmp_path} to download it again)"
    assert (tmp_path / "manifest.json").read_text() == text


def test_load_cache_refuses_an_unreadable_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").mkdir()
    with pytest.raises(EnvError, match=r"manifest\.json: cannot read: it is a folder, not a file \(delete"):
        load_cache(tmp_path)
    (tmp_path / "manifest.json").rmdir()
    (tmp_path / "manifest.json").write_bytes(b'{"format": 1, "kernel": "\xff"}')
    with pytest.raises(EnvError, match=r"manifest\.json: line 1: not UTF-8 text \(byte 0xff at offset 25\)"):
        load_cache(tmp_path)
