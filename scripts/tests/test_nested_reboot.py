"""The launcher boots a batch again, once, when the nested VM ended before
its init started (no job ran), and only then: a fake QEMU plays the boots."""

from __future__ import annotations

import argparse
import os
import stat
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import harness_testlib  # noqa: F401  (first: it puts the package roots on sys.path)
from hcabi_nested import vm
from hcabi_nested.jobs import parse_jobfile
from hcabi_nested.results import MAGIC


def _rec(line: str) -> bytes:
    return MAGIC + line.encode() + b"\n"


def _stream(name: str) -> bytes:
    out = b"ok\n"
    return (
        _rec("start protocol=1 jobs=1") + _rec("kvm ok vendor=amd") + _rec(f"job-start name={name}")
        + _rec(f"data name={name} kind=serial size={len(out)} crc32={zlib.crc32(out):08x}") + out + b"\n"
        + _rec(f"data name={name} kind=stderr size=0 crc32={zlib.crc32(b''):08x}") + b"\n"
        + _rec(f"status name={name} status=0 elapsed_ms=5 killed=0") + _rec("done")
    )  # fmt: skip


def _fake_qemu(tmp: Path, early_exits: int, stream: bytes) -> Path:
    """A QEMU whose first `early_exits` runs end at once (status 0, a line on
    the console), and whose later runs write `stream` as the guest would."""
    (tmp / "stream.bin").write_bytes(stream)
    script = tmp / "qemu"
    script.write_text(f"""#!/bin/sh
n=$(cat {tmp}/count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {tmp}/count
for a in "$@"; do case "$a" in
  file,id=con,path=*) con=${{a#file,id=con,path=}} ;;
  file,id=res,path=*) res=${{a#file,id=res,path=}} ;;
esac; done
echo "console of boot $n" > "$con"
[ $n -le {early_exits} ] && exit 0
cat {tmp}/stream.bin >> "$res"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _run(tmp: Path, monkeypatch: pytest.MonkeyPatch, early_exits: int, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    qemu = _fake_qemu(tmp, early_exits, _stream("a"))
    monkeypatch.setenv("HCABI_NESTED_QEMU", str(qemu))
    monkeypatch.setattr(vm, "ensure_cache", lambda *_: SimpleNamespace(kernel=tmp / "k", release="test", bios=None, qemu=None))
    monkeypatch.setattr(vm, "build_initramfs", lambda *_: b"")
    args = argparse.Namespace(out=str(tmp / "out"), arch="x86_64", holder_argv=None, cache=str(tmp / "cache"),
                              timeout=60.0, job_timeout=30.0, memory=512)  # fmt: skip
    rc = vm.run_batch(args, parse_jobfile("a\techo\n"))
    got = capsys.readouterr()
    return rc, got.out + got.err


def test_a_boot_that_ended_before_init_is_booted_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    rc, said = _run(tmp_path, monkeypatch, 1, capsys)
    out = tmp_path / "out"
    assert rc == 0, said
    assert (tmp_path / "count").read_text().strip() == "2"
    assert "before its init started; booting it again" in said
    # the first boot's console is kept beside the second's
    assert (out / "hcabi-nested.boot1.log").read_text() == "console of boot 1\n"
    assert (out / "hcabi-nested.log").read_text() == "console of boot 2\n"
    assert (out / "a.status").read_text() == "0\n" and (out / "a.serial").read_bytes() == b"ok\n"


def test_a_second_early_end_is_an_error_not_a_third_boot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    rc, said = _run(tmp_path, monkeypatch, 5, capsys)
    assert rc == 4
    assert (tmp_path / "count").read_text().strip() == str(vm.BOOT_ATTEMPTS)
    assert "error: the nested VM ended (QEMU exit status 0) before its init started; 0 of 1 job(s) completed" in said
    assert "console of boot 2" in said  # the last boot's console tail is shown
    assert not (tmp_path / "out" / "a.status").exists()


def test_a_boot_that_ran_a_job_is_never_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    # the VM started its init, then ended without finishing: a second boot
    # could hide what the job did, so it is an error at once
    qemu = _fake_qemu(tmp_path, 0, _rec("start protocol=1 jobs=1") + _rec("job-start name=a"))
    monkeypatch.setenv("HCABI_NESTED_QEMU", str(qemu))
    monkeypatch.setattr(vm, "ensure_cache", lambda *_: SimpleNamespace(kernel=tmp_path / "k", release="t", bios=None, qemu=None))
    monkeypatch.setattr(vm, "build_initramfs", lambda *_: b"")
    args = argparse.Namespace(out=str(tmp_path / "out"), arch="x86_64", holder_argv=None, cache=str(tmp_path / "c"),
                              timeout=60.0, job_timeout=30.0, memory=512)  # fmt: skip
    assert vm.run_batch(args, parse_jobfile("a\techo\n")) == 4
    said = capsys.readouterr().err
    assert (tmp_path / "count").read_text().strip() == "1"
    assert "during job a before finishing" in said and "booting it again" not in said
