"""Tests of the nested launcher's job side, no boot: the job file, host paths
rewritten to guest paths, what it reads from ELF files, the job scripts, and
the holder's command line."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from harness_testlib import elf64  # first: it puts the package roots on sys.path
from hcabi_conform.errors import UsageError
from hcabi_nested.elf import elf_interpreter
from hcabi_nested.holder import holder_problem, parse_holder
from hcabi_nested.initramfs import render_job_script
from hcabi_nested.jobs import GuestJob, check_programs, parse_jobfile, rewrite_args


# ---------------------------------------------------------------------------
# job file


def test_parse_simple_jobs() -> None:
    jobs = parse_jobfile("a\t/bin/prog --serial - img.elf\nb-2.x\techo hi\n")
    assert [j.name for j in jobs] == ["a", "b-2.x"]
    assert jobs[0].argv == ("/bin/prog", "--serial", "-", "img.elf")
    assert jobs[1].line == 2


def test_parse_skips_blank_and_comment_lines() -> None:
    jobs = parse_jobfile("# a comment\n\n   \n  # indented comment\nx\techo\n")
    assert [j.name for j in jobs] == ["x"]
    assert jobs[0].line == 5


def test_parse_collapses_repeated_spaces_and_tabs_in_args() -> None:
    (job,) = parse_jobfile("x\t  prog   a\tb  \n")
    assert job.argv == ("prog", "a", "b")


def test_parse_quoting() -> None:
    (job,) = parse_jobfile("x\tprog --cmdline 'console=ttyS0 quiet' \"two words\"\n")
    assert job.argv == ("prog", "--cmdline", "console=ttyS0 quiet", "two words")


def test_parse_crlf() -> None:
    jobs = parse_jobfile("x\tprog a\r\ny\tprog b\r\n")
    assert [j.argv for j in jobs] == [("prog", "a"), ("prog", "b")]


@pytest.mark.parametrize(
    "line, message",
    [
        ("noTabHere prog", "no tab"),
        ("\tprog", "empty job name"),
        ("bad/name\tprog", "bad job name"),
        ("bad name\tprog", "bad job name"),
        (".hidden\tprog", "bad job name"),
        ("-dash\tprog", "bad job name"),
        ("../up\tprog", "bad job name"),
        ("x" * 129 + "\tprog", "bad job name"),
        ("x\t", "no program"),
        ("x\t   ", "no program"),
        ("x\tprog 'unbalanced", "cannot split"),
        ("x\tprog \0", "NUL"),
    ],
)
def test_parse_rejects_malformed_lines(line: str, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_jobfile("ok\tprog\n" + line + "\n", "jobs.txt")
    assert str(exc.value).startswith("jobs.txt:2: ")
    assert message in str(exc.value)


def test_parse_rejects_duplicate_names() -> None:
    with pytest.raises(UsageError, match=r"jobs:3: job name 'a' already used on line 1"):
        parse_jobfile("a\tx\nb\tx\na\ty\n", "jobs")


def test_parse_empty_file_is_no_jobs() -> None:
    assert parse_jobfile("") == []


# ---------------------------------------------------------------------------
# host paths -> guest paths


def test_rewrite_existing_files_only(tmp_path: Path) -> None:
    prog = tmp_path / "refvmm"
    prog.write_bytes(b"#!/bin/sh\n")
    img = tmp_path / "img.elf"
    img.write_bytes(b"x")
    (tmp_path / "adir").mkdir()
    jobs = parse_jobfile(f"j\t{prog} --serial - --memory 64M {img} {tmp_path}/missing.elf {tmp_path}/adir\n")
    (gj,), plan = rewrite_args(jobs)
    assert gj.argv == ("/files/0/refvmm", "--serial", "-", "--memory", "64M", "/files/1/img.elf", f"{tmp_path}/missing.elf", f"{tmp_path}/adir")
    assert plan.files == {str(prog.resolve()): "/files/0/refvmm", str(img.resolve()): "/files/1/img.elf"}
    assert plan.executables == {str(prog.resolve())}


def test_rewrite_dedupes_and_follows_symlinks(tmp_path: Path) -> None:
    img = tmp_path / "img.elf"
    img.write_bytes(b"x")
    link = tmp_path / "link.elf"
    link.symlink_to(img)
    jobs = parse_jobfile(f"a\tprog {img}\nb\tprog {link} {img}\n")
    gjs, plan = rewrite_args(jobs)
    assert gjs[0].argv == ("prog", "/files/0/img.elf")
    assert gjs[1].argv == ("prog", "/files/0/img.elf", "/files/0/img.elf")
    assert len(plan.files) == 1
    assert plan.executables == set()


def test_rewrite_same_basename_different_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "g.elf").write_bytes(b"1")
    (tmp_path / "b" / "g.elf").write_bytes(b"2")
    (gj,), plan = rewrite_args(parse_jobfile(f"x\tprog {tmp_path}/a/g.elf {tmp_path}/b/g.elf\n"))
    assert gj.argv == ("prog", "/files/0/g.elf", "/files/1/g.elf")


def test_rewrite_relative_paths_and_option_values(tmp_path: Path) -> None:
    (tmp_path / "img.elf").write_bytes(b"x")
    jobs = parse_jobfile("x\tprog img.elf --kernel=img.elf --name=notafile -\n")
    (gj,), _ = rewrite_args(jobs, cwd=str(tmp_path))
    assert gj.argv == ("prog", "/files/0/img.elf", "--kernel=/files/0/img.elf", "--name=notafile", "-")


def test_rewrite_never_touches_options(tmp_path: Path) -> None:
    (tmp_path / "-v").write_bytes(b"x")
    (gj,), plan = rewrite_args(parse_jobfile("x\tprog -v\n"), cwd=str(tmp_path))
    assert gj.argv == ("prog", "-v")
    assert plan.files == {}


def test_program_that_is_not_a_host_file_passes_unchanged(tmp_path: Path) -> None:
    (gj,), plan = rewrite_args(parse_jobfile("x\tsh -c 'echo hi'\n"), cwd=str(tmp_path))
    assert gj.argv == ("sh", "-c", "echo hi")
    assert plan.executables == set()


def test_elf_interpreter() -> None:
    assert elf_interpreter(elf64(b"/lib64/ld-linux-x86-64.so.2")) == "/lib64/ld-linux-x86-64.so.2"
    assert elf_interpreter(elf64(None)) is None
    assert elf_interpreter(b"#!/bin/sh\n") is None
    with pytest.raises(ValueError):
        elf_interpreter(b"\x7fELF\x02\x01")


def test_elf_interpreter_of_real_binaries() -> None:
    sh = shutil.which("sh")
    assert sh
    # /bin/sh on Debian is dash, dynamically linked
    assert elf_interpreter(Path(os.path.realpath(sh)).read_bytes()) is not None
    bb = Path("/bin/busybox")
    if bb.exists():  # busybox-static
        assert elf_interpreter(bb.read_bytes()) is None


def test_dynamic_program_is_rejected(tmp_path: Path) -> None:
    prog = tmp_path / "dyn"
    prog.write_bytes(elf64(b"/lib64/ld-linux-x86-64.so.2"))
    _, plan = rewrite_args(parse_jobfile(f"x\t{prog}\n"))
    with pytest.raises(UsageError, match="dynamically linked"):
        check_programs(plan)


def test_static_program_is_accepted(tmp_path: Path) -> None:
    prog = tmp_path / "static"
    prog.write_bytes(elf64(None))
    _, plan = rewrite_args(parse_jobfile(f"x\t{prog}\n"))
    check_programs(plan)


def test_job_script_quotes_everything() -> None:
    script = render_job_script(GuestJob("x", ("/files/0/p", "a b", "it's", "$HOME", "-")))
    assert script == "#!/bin/sh\nexec /files/0/p 'a b' 'it'\"'\"'s' '$HOME' -\n"


def test_job_script_runs_with_exact_argv(tmp_path: Path) -> None:
    argv = ("printf", "[%s]", "a b", "it's", "$HOME", "*", "")
    script = tmp_path / "job.sh"
    script.write_text(render_job_script(GuestJob("x", argv)))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out == "[a b][it's][$HOME][*][]"


# ---------------------------------------------------------------------------
# the holder (--holder, HCABI_NESTED_HOLDER)


def test_parse_holder() -> None:
    assert parse_holder(None) is None
    assert parse_holder("") is None and parse_holder("  ") is None
    assert parse_holder("/b/hcabi-nested-probe --hold") == ("/b/hcabi-nested-probe", "--hold")
    assert parse_holder("'/a dir/p' --x='1 2'") == ("/a dir/p", "--x=1 2")
    with pytest.raises(UsageError, match="HCABI_NESTED_HOLDER: cannot split"):
        parse_holder("'unbalanced", "HCABI_NESTED_HOLDER")


def test_holder_problem(tmp_path: Path) -> None:
    dyn = tmp_path / "dyn"
    dyn.write_bytes(elf64(b"/lib64/ld-linux-x86-64.so.2"))
    static = tmp_path / "static"
    static.write_bytes(elf64(None))
    assert "dynamically linked" in (holder_problem((str(dyn),)) or "")
    assert holder_problem((str(static), "--hold")) is None
    assert holder_problem(("sleep", "1000")) is None  # not a host file: the guest's business
