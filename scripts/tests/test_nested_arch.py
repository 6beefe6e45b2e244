"""Tests of the nested launcher's per-architecture pieces, no boot: the Debian
package names, the QEMU command line, the cache layout, the private apt for a
foreign architecture, the guest's KVM bring-up and the job plan's check of
each program's architecture."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from harness_testlib import SCRIPTS, elf64  # first: it puts the package roots on sys.path
from hcabi_conform.errors import UsageError
from hcabi_nested import aptconf
from hcabi_nested.arch import ARCHES, ARM64, DEFAULT_ARCH, X86_64
from hcabi_nested.cache import CACHE_FORMAT, arch_root, load_cache
from hcabi_nested.debian import choose_kernel, parse_madison
from hcabi_nested.holder import holder_problem
from hcabi_nested.initramfs import render_init
from hcabi_nested.jobs import GuestJob, check_programs, parse_jobfile, rewrite_args
from hcabi_nested.vm import qemu_command


def elf_for(machine: int) -> bytes:
    """A static ELF64 program for the ELF machine ``machine``."""
    data = bytearray(elf64(None))
    struct.pack_into("<H", data, 18, machine)
    return bytes(data)


# ---------------------------------------------------------------------------
# the table


def test_the_table() -> None:
    assert DEFAULT_ARCH == "x86_64" and set(ARCHES) == {"x86_64", "arm64", "riscv64"}
    assert (ARM64.debian_arch, ARM64.elf_machine, ARM64.qemu_binary, ARM64.qemu_package) == (
        "arm64", 183, "qemu-system-aarch64", "qemu-system-arm")
    assert (X86_64.debian_arch, X86_64.elf_machine, X86_64.qemu_binary) == ("amd64", 62, "qemu-system-x86_64")
    # arm64's KVM is built in and so is its results channel: nothing to insmod
    assert ARM64.kvm_features == {"arm64": (("CONFIG_KVM", "kvm"),)}
    assert "CONFIG_KVM_XEN" not in ARM64.required_builtin and "CONFIG_KVM_XEN" in X86_64.required_builtin
    # each architecture its own variables, so that setting one's does not break the other
    assert len({a.kernel_env for a in ARCHES.values()}) == len({a.qemu_env for a in ARCHES.values()}) == 3
    assert X86_64.kernel_env == "HCABI_NESTED_KERNEL_PACKAGE" and X86_64.qemu_env == "HCABI_NESTED_QEMU"


# ---------------------------------------------------------------------------
# Debian packages

MADISON_ARM64 = """\
linux-image-6.12.95+deb12-arm64 | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
linux-image-6.12.57+deb12-arm64 | 6.12.57-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
linux-image-6.12.99+deb12-arm64-16k | 6.12.99-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
linux-image-6.12.99+deb12-cloud-arm64 | 6.12.99-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
linux-image-6.12.99+deb12-rt-arm64 | 6.12.99-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
linux-image-6.12.99+deb12-arm64-dbg | 6.12.99-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main arm64 Packages
linux-image-6.12.118+deb12-arm64 | 6.12.118-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main arm64 Packages
linux-image-6.12.118+deb12-amd64 | 6.12.118-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
"""


def test_arm64_kernel_choice() -> None:
    """The generic arm64 flavour (4k pages; not 16k, cloud, rt or dbg), newest from backports."""
    best, from_bpo = choose_kernel(parse_madison(MADISON_ARM64), ARM64)
    assert (best.package, best.version, from_bpo) == ("linux-image-6.12.95+deb12-arm64", "6.12.95-1~bpo12+1", True)
    only_security = [c for c in parse_madison(MADISON_ARM64) if c.suite != "bookworm-backports"]
    best, from_bpo = choose_kernel(only_security, ARM64)
    assert (best.package, from_bpo) == ("linux-image-6.12.118+deb12-arm64", False)


def test_kernel_choice_never_crosses_architectures() -> None:
    best, _ = choose_kernel(parse_madison(MADISON_ARM64), X86_64)
    assert best.package == "linux-image-6.12.118+deb12-amd64"
    amd64_only = [c for c in parse_madison(MADISON_ARM64) if c.package.endswith("amd64")]
    with pytest.raises(Exception, match=r"apt knows no linux-image-6\.12\.\*-arm64 package"):
        choose_kernel(amd64_only, ARM64)


def test_private_apt_conf(tmp_path: Path) -> None:
    text = aptconf.private_apt_conf("arm64", tmp_path)
    assert 'APT::Architecture "arm64";' in text and 'APT::Architectures { "arm64"; };' in text
    assert f'Dir::State::Lists "{tmp_path}/lists";' in text
    assert f'Dir::State::status "{tmp_path}/status";' in text and f'Dir::Cache "{tmp_path}/cache";' in text
    # the system's sources and keys are kept: nothing names another source list or keyring
    assert "SourceList" not in text and "Trusted" not in text


def test_apt_for_native_and_foreign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def update(cmd: list[str], what: str, cwd: Path | None = None) -> str:
        ran.append(list(cmd))
        (tmp_path / "apt-arm64" / "lists" / "deb_main_binary-arm64_Packages").touch()  # what apt fetched
        return ""

    monkeypatch.setattr(aptconf, "run_tool", update)
    native = aptconf.apt_for("amd64", tmp_path, host_arch="amd64")
    assert native == aptconf.AptView((), False) and ran == []
    foreign = aptconf.apt_for("arm64", tmp_path, host_arch="amd64")
    conf = tmp_path / "apt-arm64" / "apt.conf"
    assert foreign.private and foreign.opts == ("-c", str(conf)) and foreign.can_update()
    assert ran == [["apt-get", "-c", str(conf), "update", "-qq"]]  # its own lists, fetched once
    assert (tmp_path / "apt-arm64" / "lists" / "partial").is_dir() and (tmp_path / "apt-arm64" / "status").is_file()
    assert 'APT::Architecture "arm64";' in conf.read_text()


@pytest.mark.skipif(shutil.which("apt-config") is None, reason="apt not installed")
def test_private_apt_conf_is_what_apt_reads(tmp_path: Path) -> None:
    conf = tmp_path / "apt.conf"
    conf.write_text(aptconf.private_apt_conf("arm64", tmp_path))
    out = subprocess.run(["apt-config", "-c", str(conf), "shell", "A", "APT::Architecture", "L", "Dir::State::Lists/d"],
                         capture_output=True, text=True, check=True).stdout
    assert "A='arm64'" in out and f"L='{tmp_path}/lists/'" in out


# ---------------------------------------------------------------------------
# QEMU


def test_qemu_command_arm64(tmp_path: Path) -> None:
    cmd = qemu_command("qemu-system-aarch64", tmp_path / "k", tmp_path / "i", tmp_path / "c", tmp_path / "r", 2048, 2,
                       ARM64)
    assert cmd[:9] == ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3", "-cpu",
                       "max,pauth-impdef=on", "-accel", "tcg,thread=single", "-smp", "2"]
    append = cmd[cmd.index("-append") + 1].split()
    assert append[0] == "console=ttyAMA0" and "panic=-1" in append and "rodata=off" in append
    assert cmd[cmd.index("-kernel") + 1] == str(tmp_path / "k")  # the package's vmlinuz, as is
    assert "virtio-serial-pci,id=vser" in cmd and "-nodefaults" in cmd and "-no-reboot" in cmd


def test_qemu_command_x86_64_unchanged(tmp_path: Path) -> None:
    """The default is x86-64's command line exactly as before --arch existed."""
    args = ("q", tmp_path / "k", tmp_path / "i", tmp_path / "c", tmp_path / "r", 1024, 2)
    cmd = qemu_command(*args)
    assert cmd == qemu_command(*args, X86_64)
    assert cmd[:7] == ["q", "-accel", "tcg,thread=single", "-cpu", "max", "-smp", "2"]
    assert cmd[cmd.index("-append") + 1] == "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off no_timer_check"
    assert "virtio-serial-pci,id=vser" in cmd


# ---------------------------------------------------------------------------
# the cache


def _write_manifest(root: Path, arch: str | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "vmlinuz").write_bytes(root.name.encode())
    m = {"format": CACHE_FORMAT, "kernel": {"package": "p", "release": "r", "vmlinuz": "vmlinuz", "modules_dir": "m",
                                             "channel_modules": [], "kvm_modules": {}},
         "busybox": {"binary": "bb"}, "sha256": {"vmlinuz": hashlib.sha256(root.name.encode()).hexdigest()}}
    if arch is not None:
        m["arch"] = arch
    (root / "manifest.json").write_text(json.dumps(m))


def test_cache_layout_side_by_side(tmp_path: Path) -> None:
    """x86-64 in the cache itself (where an existing cache is), arm64 in arm64/."""
    assert arch_root(tmp_path, X86_64) == tmp_path and arch_root(tmp_path, ARM64) == tmp_path / "arm64"
    assert load_cache(tmp_path, ARM64) is None  # nothing for arm64 yet
    _write_manifest(tmp_path, None)  # written before there was an "arch": x86-64's, still valid
    x86 = load_cache(tmp_path)
    assert x86 is not None and x86.kernel == tmp_path / "vmlinuz"
    assert load_cache(tmp_path, ARM64) is None
    _write_manifest(tmp_path / "arm64", "arm64")
    a64 = load_cache(tmp_path, ARM64)
    assert a64 is not None and a64.kernel == tmp_path / "arm64" / "vmlinuz"
    assert load_cache(tmp_path, X86_64) is not None  # the arm64 part changes nothing of x86-64's


def test_cache_of_the_wrong_architecture_is_filled_again(tmp_path: Path) -> None:
    _write_manifest(tmp_path / "arm64", "x86_64")
    assert load_cache(tmp_path, ARM64) is None
    _write_manifest(tmp_path, "arm64")
    assert load_cache(tmp_path, X86_64) is None


def test_cache_kernel_override_is_per_architecture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_manifest(tmp_path / "arm64", "arm64")
    monkeypatch.setenv(X86_64.kernel_env, "linux-image-other-amd64")
    assert load_cache(tmp_path, ARM64) is not None  # x86-64's override is not arm64's
    monkeypatch.setenv(ARM64.kernel_env, "linux-image-other-arm64")
    assert load_cache(tmp_path, ARM64) is None


# ---------------------------------------------------------------------------
# the guest's KVM bring-up


def _kvm_snippet(arch_name: str, dmesg: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the architecture's KVM lines of /init with stand-ins for dmesg, die and oneline."""
    snippet = ARCHES[arch_name].kvm_shell({})
    (tmp_path / "dmesg.txt").write_text(dmesg)
    script = (f"dmesg() {{ cat {tmp_path}/dmesg.txt; }}\n"
              "die() { echo \"DIE: $*\"; exit 9; }\n"
              "oneline() { tr -c ' -~' ' ' | cut -c1-300; }\n"
              f"{snippet}\necho \"vendor=$vendor mods=[$mods]\"\n")
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True)


@pytest.mark.parametrize("line, mode", [
    ("[    0.5] kvm [1]: VHE mode initialized successfully", "VHE"),
    ("[    0.5] kvm [1]: Hyp nVHE mode initialized successfully", "nVHE"),
])
def test_arm64_kvm_comes_up_without_modules(tmp_path: Path, line: str, mode: str) -> None:
    r = _kvm_snippet("arm64", f"[    0.1] Booting Linux\n{line}\n", tmp_path)
    assert r.returncode == 0 and r.stdout == f"vendor=arm64 mode={mode} mods=[]\n"


def test_arm64_kvm_absent_says_why(tmp_path: Path) -> None:
    r = _kvm_snippet("arm64", "[    0.5] kvm [1]: HYP mode not available\n", tmp_path)
    assert r.returncode == 9
    assert r.stdout.startswith("DIE: KVM did not initialise at boot: [    0.5] kvm [1]: HYP mode not available")


def test_arm64_init(tmp_path: Path) -> None:
    init = render_init([GuestJob("a", ("/files/0/p",))], [], {"arm64": []}, 30, False, ARM64)
    assert "/proc/cpuinfo" not in init and "VHE mode initialized" in init
    assert 'emit "kvm ok vendor=$vendor"' in init
    script = tmp_path / "init"
    script.write_text(init)
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0


# ---------------------------------------------------------------------------
# the job plan: programs for the guest's architecture only


def test_check_programs_per_architecture(tmp_path: Path) -> None:
    x86, a64, text = tmp_path / "x86", tmp_path / "a64", tmp_path / "script"
    x86.write_bytes(elf_for(62))
    a64.write_bytes(elf_for(183))
    text.write_text("#!/bin/sh\n")
    _, plan = rewrite_args(parse_jobfile(f"a\t{a64}\nt\t{text}\n"))
    check_programs(plan, ARM64)  # an arm64 program and a script: fine
    _, plan = rewrite_args(parse_jobfile(f"x\t{x86}\n"))
    check_programs(plan, X86_64)
    with pytest.raises(UsageError) as e:
        check_programs(plan, ARM64)
    assert str(e.value) == f"program {x86}: it is not an arm64 program (ELF machine 62, arm64 is 183)"


def test_holder_of_another_architecture_is_a_problem(tmp_path: Path) -> None:
    x86 = tmp_path / "holder"
    x86.write_bytes(elf_for(62))
    assert holder_problem([str(x86), "--hold"], arch=X86_64) is None
    assert holder_problem([str(x86), "--hold"], arch=ARM64) == f"{x86}: it is not an arm64 program (ELF machine 62, arm64 is 183)"


def test_cli_refuses_a_foreign_program_before_booting(tmp_path: Path) -> None:
    x86 = tmp_path / "prog"
    x86.write_bytes(elf_for(62))
    os.chmod(x86, 0o755)
    jobs = tmp_path / "jobs"
    jobs.write_text(f"p\t{x86}\n")
    env = dict(os.environ, HCABI_NESTED_ARM64_QEMU="/nonexistent/qemu")  # it must not get that far
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--arch", "arm64", "--cache", str(tmp_path / "c"),
                        "--out", str(tmp_path / "out"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 2
    assert r.stderr == f"hcabi-nested: error: program {x86}: it is not an arm64 program (ELF machine 62, arm64 is 183)\n"
    assert not (tmp_path / "c").exists()
