"""Tests of the nested launcher's guest side, no boot: the cpio writer, the
initramfs and its /init, and the holder's shell functions run under the
shells the guest may have."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from harness_testlib import elf64  # first: it puts the package roots on sys.path
from hcabi_nested.cache import CacheInfo
from hcabi_nested.cpio import CpioWriter, read_cpio
from hcabi_nested.holder import render_holder_functions, rewrite_holder
from hcabi_nested.initramfs import build_initramfs, render_init
from hcabi_nested.jobs import GuestJob, parse_jobfile, rewrite_args
from hcabi_nested.results import decode_results


# ---------------------------------------------------------------------------
# initramfs


def test_cpio_roundtrip() -> None:
    w = CpioWriter()
    w.add_file("files/0/a.bin", b"\x00\x01binary\xff", 0o644)
    w.add_file("init", b"#!/bin/sh\n", 0o755)
    w.add_symlink("bin/sh", "busybox")
    w.add_chardev("dev/console", 5, 1)
    data = w.finish()
    assert len(data) % 512 == 0
    entries = read_cpio(data)
    assert entries["files/0/a.bin"] == (stat.S_IFREG | 0o644, b"\x00\x01binary\xff")
    assert entries["init"][0] == stat.S_IFREG | 0o755
    assert stat.S_ISDIR(entries["files"][0]) and stat.S_ISDIR(entries["files/0"][0])
    assert entries["bin/sh"] == (stat.S_IFLNK | 0o777, b"busybox")
    assert stat.S_ISCHR(entries["dev/console"][0])


@pytest.mark.skipif(shutil.which("cpio") is None, reason="GNU cpio not installed")
def test_cpio_readable_by_gnu_cpio(tmp_path: Path) -> None:
    w = CpioWriter()
    w.add_file("d/f.txt", b"hello\n", 0o640)
    w.add_symlink("d/l", "f.txt")
    listing = subprocess.run(["cpio", "-t", "--quiet"], input=w.finish(), capture_output=True, check=True).stdout.decode()
    assert listing.split() == ["d", "d/f.txt", "d/l"]


def _fake_cache(tmp_path: Path) -> CacheInfo:
    (tmp_path / "k" / "modules").mkdir(parents=True)
    (tmp_path / "k" / "vmlinuz").write_bytes(b"kernel")
    for m in ("irqbypass", "kvm", "ccp", "kvm_amd", "kvm_intel"):
        (tmp_path / "k" / "modules" / f"{m}.ko").write_bytes(m.encode())
    (tmp_path / "busybox").write_bytes(b"bb")
    manifest = {
        "kernel": {
            "release": "6.12.0-test",
            "vmlinuz": "k/vmlinuz",
            "modules_dir": "k/modules",
            "channel_modules": [],
            "kvm_modules": {"amd": ["irqbypass", "kvm", "ccp", "kvm_amd"], "intel": ["irqbypass", "kvm", "kvm_intel"]},
        },
        "busybox": {"binary": "busybox"},
    }
    return CacheInfo(tmp_path, manifest)


def test_initramfs_contents(tmp_path: Path) -> None:
    prog = tmp_path / "prog"
    prog.write_bytes(elf64(None))
    os.chmod(prog, 0o644)
    img = tmp_path / "img.elf"
    img.write_bytes(b"IMG")
    gjobs, plan = rewrite_args(parse_jobfile(f"one\t{prog} --serial - {img}\ntwo\techo hi\n"))
    entries = read_cpio(build_initramfs(_fake_cache(tmp_path / "c"), gjobs, plan, 30))
    assert entries["files/0/prog"][0] & 0o111  # programs become executable
    assert entries["files/1/img.elf"][1] == b"IMG"
    assert entries["jobs/one.sh"][1] == b"#!/bin/sh\nexec /files/0/prog --serial - /files/1/img.elf\n"
    assert entries["jobs/two.sh"][1] == b"#!/bin/sh\nexec echo hi\n"
    assert entries["lib/modules/kvm_amd.ko"][1] == b"kvm_amd"
    assert entries["bin/busybox"][1] == b"bb"
    init = entries["init"][1].decode()
    assert init.startswith("#!/bin/busybox sh\n")
    assert "run_job one\nrun_job two\n" in init
    assert 'mods="irqbypass kvm ccp kvm_amd"' in init
    assert "sleep 30;" in init


@pytest.mark.parametrize("njobs", [0, 1, 3])
def test_init_is_valid_shell(tmp_path: Path, njobs: int) -> None:
    jobs = [GuestJob(f"j{i}", ("echo",)) for i in range(njobs)]
    init = tmp_path / "init"
    init.write_text(render_init(jobs, ["virtio_console"], {"amd": ["kvm", "kvm_amd"], "intel": ["kvm", "kvm_intel"]}, 60))
    shells = [s for s in ("/bin/busybox", shutil.which("dash"), shutil.which("sh")) if s and os.path.exists(s)]
    for sh in shells:
        cmd = [sh, "sh", "-n", str(init)] if sh.endswith("busybox") else [sh, "-n", str(init)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, f"{sh}: {r.stderr}"


def test_holder_shares_the_file_plan(tmp_path: Path) -> None:
    prog = tmp_path / "probe"
    prog.write_bytes(elf64(None))
    os.chmod(prog, 0o644)
    gjobs, plan = rewrite_args(parse_jobfile(f"copy\tcat {prog}\n"))
    holder = rewrite_holder((str(prog), "--hold"), plan)
    assert holder.argv == ("/files/0/probe", "--hold")  # the same guest copy as the job's argument
    assert os.path.realpath(prog) in plan.executables
    entries = read_cpio(build_initramfs(_fake_cache(tmp_path / "c"), gjobs, plan, 30, holder))
    assert entries["holder.sh"][1] == b"#!/bin/sh\nexec /files/0/probe --hold\n"
    assert entries["files/0/probe"][0] & 0o111
    init = entries["init"][1].decode()
    assert "start_holder\nrun_job copy\nstop_holder\n" in init


def test_no_holder_no_holder_calls(tmp_path: Path) -> None:
    gjobs, plan = rewrite_args(parse_jobfile("a\techo\n"))
    entries = read_cpio(build_initramfs(_fake_cache(tmp_path / "c"), gjobs, plan, 30))
    assert "holder.sh" not in entries
    assert "start_holder\n" not in entries["init"][1].decode()


HOLDER_HARNESS = """
log() {{ echo "log: $*"; }}
emit() {{ printf '@@hcabi-nested %s\\n' "$*" >&3; }}
oneline() {{ tr -c ' -~' ' ' | cut -c1-300; }}
exec 3>"$1"
{functions}
start_holder
echo "job runs; holder_pid=${{holder_pid:-none}}"
{between}
stop_holder
"""


def _shells() -> list[list[str]]:
    out = []
    for path in ("/bin/busybox", shutil.which("dash")):
        if path and os.path.exists(path):
            out.append([path, "sh"] if path.endswith("busybox") else [path])
    return out


@pytest.mark.parametrize(
    "holder, between, states, words",
    [
        # ready, then stopped by SIGTERM (the trap shows it got TERM)
        ("trap 'echo got-term; exit 0' TERM; echo 'x: hold=ready keys=k'; while :; do sleep 0.2; done", "", ["up", "stopped"], ["x: hold=ready keys=k", "status 0: got-term"]),
        # a program that is not there: failed at once, no stop
        ("exec /no/such/holder --hold", "", ["failed"], ["status 127", "not found"]),
        # says nothing: killed after the (short) ready timeout
        ("exec sleep 100", "", ["failed"], ["no hold=ready line after 1 s"]),
        # ready, then dies before the batch ends
        ("echo hold=ready; sleep 0.3; exit 3", "sleep 1", ["up", "lost"], ["it ended with status 3 during the batch"]),
        # ignores SIGTERM: SIGKILL after the stop timeout
        ("trap '' TERM; echo hold=ready; while :; do sleep 0.2; done", "", ["up", "stopped"], ["status 137"]),
    ],
)
def test_holder_shell_functions(tmp_path: Path, holder: str, between: str, states: list[str], words: list[str]) -> None:
    shells = _shells()
    if not shells:
        pytest.skip("neither busybox nor dash installed")
    script = tmp_path / "holder.sh"
    script.write_text(holder + "\n")
    functions = render_holder_functions(ready_timeout=1, stop_timeout=1, workdir=str(tmp_path / "w"), script=str(script))
    harness = tmp_path / "harness.sh"
    harness.write_text(HOLDER_HARNESS.format(functions=functions, between=between))
    for sh in shells:
        records = tmp_path / "records"
        r = subprocess.run([*sh, str(harness), str(records)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (sh, r.stdout, r.stderr)
        ev = decode_results(records.read_bytes())
        assert [e.kind for e in ev] == [f"holder-{s}" for s in states], (sh, ev, r.stdout)
        text = " | ".join(e.text for e in ev)
        for w in words:
            assert w in text, (sh, text)
        assert "job runs; holder_pid=" in r.stdout
