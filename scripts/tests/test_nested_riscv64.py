"""Tests of the nested launcher's riscv64 pieces, no boot and no network: the
table entry, the kernel's choice from trixie, the private apt with its own
sources, QEMU and its firmware from Debian packages (fetched into the cache,
run from there), the guest's KVM bring-up and the CTest driver's skip."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import harness_testlib  # noqa: F401  (first: it puts the package roots on sys.path)
from hcabi_conform.errors import EnvError
from hcabi_nested import aptconf, qemudebs
from hcabi_nested.arch import ARCHES, ARM64, RISCV64, X86_64
from hcabi_nested.cache import CACHE_FORMAT, arch_root, load_cache
from hcabi_nested.debian import AptError, choose_kernel, parse_madison, run_tool
from hcabi_nested.vm import qemu_command

import hcabi_nested_ctest


def test_the_riscv64_entry() -> None:
    assert ARCHES["riscv64"] is RISCV64
    assert (RISCV64.debian_arch, RISCV64.elf_machine, RISCV64.qemu_binary) == ("riscv64", 243, "qemu-system-riscv64")
    assert RISCV64.busybox_member == "usr/bin/busybox" and RISCV64.kernel_file == "vmlinux"
    assert RISCV64.kvm_features == {"riscv64": (("CONFIG_KVM", "kvm"),)}  # =m: the guest's init loads kvm.ko
    # AIA (the binding's vectors are IMSIC identities), and so QEMU 10.0 with OpenSBI 1.5 from backports
    # with guest interrupt files: KVM's emulated IMSIC file loses identities 32..63 in Linux 6.12
    assert RISCV64.machine_args[:2] == ("-M", "virt,aia=aplic-imsic,aia-guests=7")
    assert RISCV64.qemu_debs == ("qemu-system-riscv", "opensbi") and RISCV64.qemu_suite == "bookworm-backports"
    assert RISCV64.bios_member.endswith("opensbi/generic/fw_dynamic.bin")
    assert all(" trixie" in line for line in RISCV64.apt_sources)
    # the others keep the system's apt sources and QEMU
    assert X86_64.qemu_debs == ARM64.qemu_debs == () and X86_64.apt_sources == ARM64.apt_sources == ()
    assert X86_64.kernel_suites == ARM64.kernel_suites == ("bookworm-backports",)


MADISON_RISCV64 = """\
linux-image-6.12.117+deb13-riscv64 | 6.12.117-1 | http://deb.debian.org/debian trixie/main riscv64 Packages
linux-image-6.12.118+deb13-riscv64 | 6.12.118-1 | http://deb.debian.org/debian-security trixie-security/main riscv64 Packages
linux-image-6.12.115+deb13.1-riscv64 | 6.12.115-2 | http://deb.debian.org/debian-security trixie-security/main riscv64 Packages
linux-image-6.12.119+deb13-riscv64-dbg | 6.12.119-1 | http://deb.debian.org/debian-security trixie-security/main riscv64 Packages
linux-image-6.12.119+deb12-arm64 | 6.12.119-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
"""


def test_riscv64_kernel_choice() -> None:
    """The newest generic riscv64 kernel of trixie or trixie-security; never -dbg, never another arch."""
    best, preferred = choose_kernel(parse_madison(MADISON_RISCV64), RISCV64)
    assert (best.package, best.version, best.suite, preferred) == (
        "linux-image-6.12.118+deb13-riscv64", "6.12.118-1", "trixie-security", True)
    assert RISCV64.kernel_package_re.match("linux-image-6.12.115+deb13.1-riscv64")
    with pytest.raises(AptError, match=r"^Debian's trixie/trixie-security index has no linux-image-6\.12\.\*\+deb13-riscv64"):
        choose_kernel([c for c in parse_madison(MADISON_RISCV64) if "arm64" in c.package], RISCV64)


def test_private_apt_with_its_own_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def update(cmd: list[str], what: str, cwd: Path | None = None) -> str:
        ran.append(list(cmd))
        lists = Path(cmd[2]).parent / "lists"
        (lists / "deb.debian.org_debian_dists_trixie_main_binary-riscv64_Packages.lz4").touch()
        return ""

    monkeypatch.setattr(aptconf, "run_tool", update)
    view = aptconf.apt_for("riscv64", tmp_path, host_arch="amd64", sources=RISCV64.apt_sources)
    root = tmp_path / "apt-riscv64"
    assert view.private and ran == [["apt-get", "-c", str(root / "apt.conf"), "update", "-qq"]]
    assert (root / "sources.list").read_text() == "".join(f"{line}\n" for line in RISCV64.apt_sources)
    text = (root / "apt.conf").read_text()
    assert f'Dir::Etc::SourceList "{root}/sources.list";' in text and 'APT::Architecture "riscv64";' in text
    # sources given for the host's own architecture still make a private apt
    assert aptconf.apt_for("amd64", tmp_path, host_arch="amd64", sources=("deb x y z",)).private


def test_private_apt_that_fetched_nothing_is_an_apt_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """apt-get update exits 0 when the archive is unreachable: no index is what tells."""
    monkeypatch.setattr(aptconf, "run_tool", lambda cmd, what, cwd=None: "")
    with pytest.raises(AptError, match=r"^apt-get update \(private\) fetched no package index \(is Debian's archive reachable\?\)$"):
        aptconf.apt_for("riscv64", tmp_path, host_arch="amd64", sources=RISCV64.apt_sources)


@pytest.mark.skipif(shutil.which("apt-config") is None, reason="apt not installed")
def test_own_sources_are_what_apt_reads(tmp_path: Path) -> None:
    conf = tmp_path / "apt.conf"
    conf.write_text(aptconf.private_apt_conf("riscv64", tmp_path, own_sources=True))
    out = subprocess.run(["apt-config", "-c", str(conf), "shell", "S", "Dir::Etc::SourceList/f",
                          "P", "Dir::Etc::SourceParts/d"], capture_output=True, text=True, check=True).stdout
    assert f"S='{tmp_path}/sources.list'" in out and f"P='{tmp_path}/sources.list.d/'" in out


def test_qemu_command_riscv64(tmp_path: Path) -> None:
    bios = tmp_path / "fw_dynamic.bin"
    cmd = qemu_command("q", tmp_path / "k", tmp_path / "i", tmp_path / "c", tmp_path / "r", 2048, 2, RISCV64, bios)
    assert cmd[:11] == ["q", "-M", "virt,aia=aplic-imsic,aia-guests=7", "-cpu", "rv64", "-accel", "tcg,thread=single",
                        "-bios", str(bios), "-smp", "2"]
    assert cmd[cmd.index("-append") + 1].split()[0] == "console=ttyS0"
    assert "virtio-serial-pci,id=vser" in cmd
    # no firmware given: no -bios (x86-64 and arm64)
    assert "-bios" not in qemu_command("q", tmp_path / "k", tmp_path / "i", tmp_path / "c", tmp_path / "r", 2048, 2,
                                       RISCV64)


def _riscv64_manifest(root: Path, qemu: bool) -> None:
    root.mkdir(parents=True, exist_ok=True)
    files = {"vmlinuz": b"kernel", "q/qemu-system-riscv64": b"qemu", "q/fw_dynamic.bin": b"sbi"}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    m = {"format": CACHE_FORMAT, "arch": "riscv64",
         "kernel": {"package": "p", "release": "r", "vmlinuz": "vmlinuz", "modules_dir": "m", "channel_modules": [],
                    "kvm_modules": {"riscv64": ["kvm"]}},
         "busybox": {"binary": "bb"}, "sha256": {rel: hashlib.sha256(d).hexdigest() for rel, d in files.items()}}
    if qemu:
        m["qemu"] = {"binary": "q/qemu-system-riscv64", "bios": "q/fw_dynamic.bin"}
    (root / "manifest.json").write_text(json.dumps(m))


def test_riscv64_cache_holds_its_qemu(tmp_path: Path) -> None:
    root = arch_root(tmp_path, RISCV64)
    assert root == tmp_path / "riscv64"
    _riscv64_manifest(root, qemu=False)
    assert load_cache(tmp_path, RISCV64) is None  # without its QEMU the entry is incomplete: filled again
    _riscv64_manifest(root, qemu=True)
    info = load_cache(tmp_path, RISCV64)
    assert info is not None and info.qemu == root / "q/qemu-system-riscv64" and info.bios == root / "q/fw_dynamic.bin"
    (root / "q/fw_dynamic.bin").write_bytes(b"other")  # the firmware is checked like the rest
    assert load_cache(tmp_path, RISCV64) is None


def _fake_debs(monkeypatch: pytest.MonkeyPatch, members: dict[str, bytes], version_ok: bool = True) -> list[str]:
    """qemudebs with apt, dpkg and the emulator replaced: each package unpacks ``members``."""
    fetched: list[str] = []

    def download(spec: str, into: Path, opts: tuple = ()) -> Path:
        fetched.append(spec)
        deb = into / f"{spec.split('/')[0]}.deb"
        deb.write_bytes(b"")
        return deb

    def extract(deb: Path, into: Path) -> None:
        for rel, data in members.items():
            (into / rel).parent.mkdir(parents=True, exist_ok=True)
            (into / rel).write_bytes(data)

    def tool(cmd: list[str], what: str, cwd: Path | None = None) -> str:
        if not version_ok:
            raise EnvError(f"{what} failed: error while loading shared libraries: libfoo.so.1")
        return "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright\n"

    monkeypatch.setattr(qemudebs, "apt_for", lambda arch, tmp: aptconf.AptView((), False))
    monkeypatch.setattr(qemudebs, "host_debian_arch", lambda: "amd64")
    monkeypatch.setattr(qemudebs, "apt_download", download)
    monkeypatch.setattr(qemudebs, "deb_extract", extract)
    monkeypatch.setattr(qemudebs, "deb_field", lambda deb, field: "1:10.0.2+ds-2~bpo12+1")
    monkeypatch.setattr(qemudebs, "run_tool", tool)
    return fetched


QEMU_MEMBERS = {"usr/bin/qemu-system-riscv64": b"\x7fELF-qemu", RISCV64.bios_member: b"opensbi"}


def test_fetch_qemu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fetched = _fake_debs(monkeypatch, QEMU_MEMBERS)
    stage = tmp_path / "stage"
    entry = qemudebs.fetch_qemu(RISCV64, tmp_path, stage)
    assert fetched == ["qemu-system-riscv/bookworm-backports", "opensbi/bookworm-backports"]  # the suite, pinned
    assert entry is not None and entry["binary"] == "qemu-1_10.0.2+ds-2_bpo12+1/qemu-system-riscv64"
    assert entry["bios"] == "qemu-1_10.0.2+ds-2_bpo12+1/fw_dynamic.bin"
    assert entry["version"].startswith("QEMU emulator version 10.0.2")
    assert (stage / entry["binary"]).read_bytes() == b"\x7fELF-qemu" and (stage / entry["binary"]).stat().st_mode & 0o111
    assert (stage / entry["bios"]).read_bytes() == b"opensbi"
    assert qemudebs.fetch_qemu(X86_64, tmp_path, stage) is None  # the system's QEMU


def test_fetch_qemu_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_debs(monkeypatch, {"usr/bin/qemu-system-riscv64": b"q"})
    with pytest.raises(EnvError, match=r"^qemu-system-riscv, opensbi \(bookworm-backports\) hold no usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic\.bin$"):
        qemudebs.fetch_qemu(RISCV64, tmp_path, tmp_path / "sa")
    _fake_debs(monkeypatch, QEMU_MEMBERS, version_ok=False)
    (tmp_path / "b").mkdir()
    with pytest.raises(EnvError, match=r"unpacked failed: error while loading shared libraries: libfoo\.so\.1$"):
        qemudebs.fetch_qemu(RISCV64, tmp_path / "b", tmp_path / "sb")


def test_apt_failures_are_apt_errors() -> None:
    """What a test may skip for (the archive) is told apart from other failures."""
    with pytest.raises(AptError):
        run_tool(["apt-cache", "show", "--no-such-option-hcabi"], "apt-cache show")
    with pytest.raises(EnvError) as e:
        run_tool(["dpkg-deb", "-f", "/nonexistent.deb", "Version"], "dpkg-deb -f")
    assert not isinstance(e.value, AptError)


def _kvm_snippet(isa: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nhart\t\t: 0\nisa\t\t: {isa}\nmmu\t\t: sv57\n")
    snippet = RISCV64.kvm_shell({"riscv64": ["kvm"]}).replace("/proc/cpuinfo", str(cpuinfo))
    script = ("die() { echo \"DIE: $*\"; exit 9; }\noneline() { tr -c ' -~' ' ' | cut -c1-300; }\n"
              f"{snippet}\necho \"vendor=$vendor mods=[$mods]\"\n")
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True)


def test_riscv64_kvm_needs_the_h_extension(tmp_path: Path) -> None:
    r = _kvm_snippet("rv64imafdch_zicbom_zicboz_smaia_ssaia_sstc", tmp_path)
    assert r.returncode == 0 and r.stdout == "vendor=riscv64 mods=[kvm]\n"
    r = _kvm_snippet("rv64imafdc_zicbom_zihintpause", tmp_path)  # 'h' only inside a longer extension name
    assert r.returncode == 9 and r.stdout.startswith("DIE: the virtual CPU lacks the H extension: isa")


def test_ctest_driver_skips_when_packages_cannot_be_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import hcabi_nested.cache as cache

    def unreachable(root: Path, arch: object) -> None:
        raise AptError("apt-get update (private) failed: E: Some index files failed to download")

    monkeypatch.setattr(cache, "ensure_cache", unreachable)
    (tmp_path / "jobs").write_text("probe\ttrue\n")
    (tmp_path / "expect").write_text("probe\tstatus\t0\n")
    args = ["--arch", "riscv64", "--skip-unfetchable", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o"),
            "--jobs", str(tmp_path / "jobs"), "--expect", str(tmp_path / "expect"), "--launcher", "/nonexistent"]
    assert hcabi_nested_ctest.main(args) == 77
    assert capsys.readouterr().out == ("SKIP: the packages cannot be fetched: apt-get update (private) failed: "
                                       "E: Some index files failed to download\n")

    def broken(root: Path, arch: object) -> None:
        raise EnvError("linux-image-x lacks CONFIG_RISCV_IMSIC=y; the nested launcher needs it")

    monkeypatch.setattr(cache, "ensure_cache", broken)  # not the archive's fault: no skip
    with pytest.raises(EnvError):
        hcabi_nested_ctest.main(args)
