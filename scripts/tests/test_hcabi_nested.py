"""Host-side tests of scripts/hcabi_nested.py that need no boot: the job file,
path rewriting, the initramfs writer, package choice, and decoding of the
guest's results stream (intact, truncated, garbled)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hcabi_nested as hn  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------
# job file


def test_parse_simple_jobs() -> None:
    jobs = hn.parse_jobfile("a\t/bin/prog --serial - img.elf\nb-2.x\techo hi\n")
    assert [j.name for j in jobs] == ["a", "b-2.x"]
    assert jobs[0].argv == ("/bin/prog", "--serial", "-", "img.elf")
    assert jobs[1].line == 2


def test_parse_skips_blank_and_comment_lines() -> None:
    jobs = hn.parse_jobfile("# a comment\n\n   \n  # indented comment\nx\techo\n")
    assert [j.name for j in jobs] == ["x"]
    assert jobs[0].line == 5


def test_parse_collapses_repeated_spaces_and_tabs_in_args() -> None:
    (job,) = hn.parse_jobfile("x\t  prog   a\tb  \n")
    assert job.argv == ("prog", "a", "b")


def test_parse_quoting() -> None:
    (job,) = hn.parse_jobfile("x\tprog --cmdline 'console=ttyS0 quiet' \"two words\"\n")
    assert job.argv == ("prog", "--cmdline", "console=ttyS0 quiet", "two words")


def test_parse_crlf() -> None:
    jobs = hn.parse_jobfile("x\tprog a\r\ny\tprog b\r\n")
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
    with pytest.raises(hn.UsageError) as exc:
        hn.parse_jobfile("ok\tprog\n" + line + "\n", "jobs.txt")
    assert str(exc.value).startswith("jobs.txt:2: ")
    assert message in str(exc.value)


def test_parse_rejects_duplicate_names() -> None:
    with pytest.raises(hn.UsageError, match=r"jobs:3: job name 'a' already used on line 1"):
        hn.parse_jobfile("a\tx\nb\tx\na\ty\n", "jobs")


def test_parse_empty_file_is_no_jobs() -> None:
    assert hn.parse_jobfile("") == []


# ---------------------------------------------------------------------------
# host paths -> guest paths


def test_rewrite_existing_files_only(tmp_path: Path) -> None:
    prog = tmp_path / "refvmm"
    prog.write_bytes(b"#!/bin/sh\n")
    img = tmp_path / "img.elf"
    img.write_bytes(b"x")
    (tmp_path / "adir").mkdir()
    jobs = hn.parse_jobfile(f"j\t{prog} --serial - --memory 64M {img} {tmp_path}/missing.elf {tmp_path}/adir\n")
    (gj,), plan = hn.rewrite_args(jobs)
    assert gj.argv == ("/files/0/refvmm", "--serial", "-", "--memory", "64M", "/files/1/img.elf", f"{tmp_path}/missing.elf", f"{tmp_path}/adir")
    assert plan.files == {str(prog.resolve()): "/files/0/refvmm", str(img.resolve()): "/files/1/img.elf"}
    assert plan.executables == {str(prog.resolve())}


def test_rewrite_dedupes_and_follows_symlinks(tmp_path: Path) -> None:
    img = tmp_path / "img.elf"
    img.write_bytes(b"x")
    link = tmp_path / "link.elf"
    link.symlink_to(img)
    jobs = hn.parse_jobfile(f"a\tprog {img}\nb\tprog {link} {img}\n")
    gjs, plan = hn.rewrite_args(jobs)
    assert gjs[0].argv == ("prog", "/files/0/img.elf")
    assert gjs[1].argv == ("prog", "/files/0/img.elf", "/files/0/img.elf")
    assert len(plan.files) == 1
    assert plan.executables == set()


def test_rewrite_same_basename_different_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "g.elf").write_bytes(b"1")
    (tmp_path / "b" / "g.elf").write_bytes(b"2")
    (gj,), plan = hn.rewrite_args(hn.parse_jobfile(f"x\tprog {tmp_path}/a/g.elf {tmp_path}/b/g.elf\n"))
    assert gj.argv == ("prog", "/files/0/g.elf", "/files/1/g.elf")


def test_rewrite_relative_paths_and_option_values(tmp_path: Path) -> None:
    (tmp_path / "img.elf").write_bytes(b"x")
    jobs = hn.parse_jobfile("x\tprog img.elf --kernel=img.elf --name=notafile -\n")
    (gj,), _ = hn.rewrite_args(jobs, cwd=str(tmp_path))
    assert gj.argv == ("prog", "/files/0/img.elf", "--kernel=/files/0/img.elf", "--name=notafile", "-")


def test_rewrite_never_touches_options(tmp_path: Path) -> None:
    (tmp_path / "-v").write_bytes(b"x")
    (gj,), plan = hn.rewrite_args(hn.parse_jobfile("x\tprog -v\n"), cwd=str(tmp_path))
    assert gj.argv == ("prog", "-v")
    assert plan.files == {}


def test_program_that_is_not_a_host_file_passes_unchanged(tmp_path: Path) -> None:
    (gj,), plan = hn.rewrite_args(hn.parse_jobfile("x\tsh -c 'echo hi'\n"), cwd=str(tmp_path))
    assert gj.argv == ("sh", "-c", "echo hi")
    assert plan.executables == set()


def _elf64(interp: bytes | None) -> bytes:
    """A minimal ELF64 file with one PT_INTERP (or PT_LOAD) program header."""
    import struct

    hdr = bytearray(64)
    hdr[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", hdr, 0x20, 64)  # e_phoff
    struct.pack_into("<HH", hdr, 0x36, 56, 1)  # e_phentsize, e_phnum
    payload = (interp or b"") + b"\0"
    ph = struct.pack("<IIQQQQQQ", 3 if interp else 1, 0, 120, 0, 0, len(payload), len(payload), 1)
    return bytes(hdr) + ph + payload


def test_elf_interpreter() -> None:
    assert hn.elf_interpreter(_elf64(b"/lib64/ld-linux-x86-64.so.2")) == "/lib64/ld-linux-x86-64.so.2"
    assert hn.elf_interpreter(_elf64(None)) is None
    assert hn.elf_interpreter(b"#!/bin/sh\n") is None
    with pytest.raises(ValueError):
        hn.elf_interpreter(b"\x7fELF\x02\x01")


def test_elf_interpreter_of_real_binaries() -> None:
    sh = shutil.which("sh")
    assert sh
    # /bin/sh on Debian is dash, dynamically linked
    assert hn.elf_interpreter(Path(os.path.realpath(sh)).read_bytes()) is not None
    bb = Path("/bin/busybox")
    if bb.exists():  # busybox-static
        assert hn.elf_interpreter(bb.read_bytes()) is None


def test_dynamic_program_is_rejected(tmp_path: Path) -> None:
    prog = tmp_path / "dyn"
    prog.write_bytes(_elf64(b"/lib64/ld-linux-x86-64.so.2"))
    _, plan = hn.rewrite_args(hn.parse_jobfile(f"x\t{prog}\n"))
    with pytest.raises(hn.UsageError, match="dynamically linked"):
        hn.check_programs(plan)


def test_static_program_is_accepted(tmp_path: Path) -> None:
    prog = tmp_path / "static"
    prog.write_bytes(_elf64(None))
    _, plan = hn.rewrite_args(hn.parse_jobfile(f"x\t{prog}\n"))
    hn.check_programs(plan)


def test_job_script_quotes_everything() -> None:
    script = hn.render_job_script(hn.GuestJob("x", ("/files/0/p", "a b", "it's", "$HOME", "-")))
    assert script == "#!/bin/sh\nexec /files/0/p 'a b' 'it'\"'\"'s' '$HOME' -\n"


def test_job_script_runs_with_exact_argv(tmp_path: Path) -> None:
    argv = ("printf", "[%s]", "a b", "it's", "$HOME", "*", "")
    script = tmp_path / "job.sh"
    script.write_text(hn.render_job_script(hn.GuestJob("x", argv)))
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out == "[a b][it's][$HOME][*][]"


# ---------------------------------------------------------------------------
# initramfs


def test_cpio_roundtrip() -> None:
    w = hn.CpioWriter()
    w.add_file("files/0/a.bin", b"\x00\x01binary\xff", 0o644)
    w.add_file("init", b"#!/bin/sh\n", 0o755)
    w.add_symlink("bin/sh", "busybox")
    w.add_chardev("dev/console", 5, 1)
    data = w.finish()
    assert len(data) % 512 == 0
    entries = hn.read_cpio(data)
    assert entries["files/0/a.bin"] == (stat.S_IFREG | 0o644, b"\x00\x01binary\xff")
    assert entries["init"][0] == stat.S_IFREG | 0o755
    assert stat.S_ISDIR(entries["files"][0]) and stat.S_ISDIR(entries["files/0"][0])
    assert entries["bin/sh"] == (stat.S_IFLNK | 0o777, b"busybox")
    assert stat.S_ISCHR(entries["dev/console"][0])


@pytest.mark.skipif(shutil.which("cpio") is None, reason="GNU cpio not installed")
def test_cpio_readable_by_gnu_cpio(tmp_path: Path) -> None:
    w = hn.CpioWriter()
    w.add_file("d/f.txt", b"hello\n", 0o640)
    w.add_symlink("d/l", "f.txt")
    listing = subprocess.run(["cpio", "-t", "--quiet"], input=w.finish(), capture_output=True, check=True).stdout.decode()
    assert listing.split() == ["d", "d/f.txt", "d/l"]


def _fake_cache(tmp_path: Path) -> hn.CacheInfo:
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
    return hn.CacheInfo(tmp_path, manifest)


def test_initramfs_contents(tmp_path: Path) -> None:
    prog = tmp_path / "prog"
    prog.write_bytes(_elf64(None))
    os.chmod(prog, 0o644)
    img = tmp_path / "img.elf"
    img.write_bytes(b"IMG")
    gjobs, plan = hn.rewrite_args(hn.parse_jobfile(f"one\t{prog} --serial - {img}\ntwo\techo hi\n"))
    entries = hn.read_cpio(hn.build_initramfs(_fake_cache(tmp_path / "c"), gjobs, plan, 30))
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
    jobs = [hn.GuestJob(f"j{i}", ("echo",)) for i in range(njobs)]
    init = tmp_path / "init"
    init.write_text(hn.render_init(jobs, ["virtio_console"], {"amd": ["kvm", "kvm_amd"], "intel": ["kvm", "kvm_intel"]}, 60))
    shells = [s for s in ("/bin/busybox", shutil.which("dash"), shutil.which("sh")) if s and os.path.exists(s)]
    for sh in shells:
        cmd = [sh, "sh", "-n", str(init)] if sh.endswith("busybox") else [sh, "-n", str(init)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, f"{sh}: {r.stderr}"


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
    c = hn.compare_debian_versions(a, b)
    assert (c > 0) - (c < 0) == sign
    c2 = hn.compare_debian_versions(b, a)
    assert (c2 > 0) - (c2 < 0) == -sign


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg not installed")
def test_compare_debian_versions_agrees_with_dpkg() -> None:
    vs = ["6.12.95-1~bpo12+1", "6.12.9-1~bpo12+1", "6.12.117-1~deb12u1", "1:0.1", "6.12.95-1", "6.12.95+deb12.1-1", "6.12.95~rc1-1"]
    for a in vs:
        for b in vs:
            lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
            assert (hn.compare_debian_versions(a, b) < 0) == lt, (a, b)


MADISON = """\
linux-image-6.12.95+deb12-amd64 | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.9+deb12-amd64 | 6.12.9-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.95+deb12-amd64-unsigned | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.117+deb12-amd64 | 6.12.117-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.99+deb12-cloud-amd64 | 6.12.99-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
     linux | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main Sources
"""


def test_parse_madison() -> None:
    cands = hn.parse_madison(MADISON)
    assert len(cands) == 5
    assert cands[0] == hn.Candidate("linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1", "bookworm-backports")
    assert cands[3].suite == "bookworm-security"


def test_choose_kernel_prefers_backports_newest_signed() -> None:
    best, from_bpo = hn.choose_kernel(hn.parse_madison(MADISON))
    assert (best.package, best.version, from_bpo) == ("linux-image-6.12.95+deb12-amd64", "6.12.95-1~bpo12+1", True)
    # order of the input must not matter
    best2, _ = hn.choose_kernel(reversed(hn.parse_madison(MADISON)))
    assert best2 == best


def test_choose_kernel_falls_back_to_other_suites() -> None:
    only_security = [c for c in hn.parse_madison(MADISON) if c.suite != "bookworm-backports"]
    best, from_bpo = hn.choose_kernel(only_security)
    assert (best.package, from_bpo) == ("linux-image-6.12.117+deb12-amd64", False)


def test_choose_kernel_none() -> None:
    with pytest.raises(hn.EnvError, match="setup-debian.sh"):
        hn.choose_kernel([hn.Candidate("linux-image-6.1.0-9-amd64", "6.1.0", "bookworm")])


def test_module_order() -> None:
    deps = {"kvm_amd": ["kvm", "ccp"], "kvm": ["irqbypass"], "ccp": [], "irqbypass": [], "kvm_intel": ["kvm"]}
    assert hn.module_order(["kvm_amd"], deps) == ["irqbypass", "kvm", "ccp", "kvm_amd"]
    assert hn.module_order(["kvm_amd", "kvm_intel"], deps) == ["irqbypass", "kvm", "ccp", "kvm_amd", "kvm_intel"]
    with pytest.raises(hn.EnvError, match="not in the kernel package"):
        hn.module_order(["x"], {"x": ["y"]})
    with pytest.raises(hn.EnvError, match="cycle"):
        hn.module_order(["a"], {"a": ["b"], "b": ["a"]})


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
    info = hn.modinfo(obj.read_bytes())
    assert info["depends"] == ["kvm,ccp"]
    assert info["name"] == ["kvm_amd"]


def test_kconfig() -> None:
    cfg = hn.parse_kconfig("# CONFIG_FOO is not set\nCONFIG_KVM=m\nCONFIG_KVM_XEN=y\nCONFIG_S=\"a=b\"\n")
    assert cfg == {"CONFIG_KVM": "m", "CONFIG_KVM_XEN": "y", "CONFIG_S": '"a=b"'}


def _manifest(**sha: str) -> dict:
    kernel = {"package": "p", "release": "r", "vmlinuz": "vmlinuz", "modules_dir": "m", "channel_modules": [],
              "kvm_modules": {"amd": ["kvm"]}}
    return {"format": hn.CACHE_FORMAT, "kernel": kernel, "busybox": {"binary": "bb"}, "sha256": sha}


def test_load_cache_rejects_damage(tmp_path: Path) -> None:
    """A damaged file of the cache means: fill it again (None)."""
    import hashlib
    import json

    (tmp_path / "vmlinuz").write_bytes(b"k")
    (tmp_path / "manifest.json").write_text(json.dumps(_manifest(vmlinuz=hashlib.sha256(b"k").hexdigest())))
    assert hn.load_cache(tmp_path) is not None
    (tmp_path / "vmlinuz").write_bytes(b"K")
    assert hn.load_cache(tmp_path) is None
    (tmp_path / "vmlinuz").unlink()
    assert hn.load_cache(tmp_path) is None
    (tmp_path / "manifest.json").write_text(json.dumps(dict(_manifest(), format=hn.CACHE_FORMAT + 1)))
    assert hn.load_cache(tmp_path) is None  # another format: filled again in this one
    assert hn.load_cache(tmp_path / "nowhere") is None


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
    with pytest.raises(hn.EnvError) as e:
        hn.load_cache(tmp_path)
    assert str(e.value) == f"{tmp_path}/{message} (delete the cache {tmp_path} to download it again)"
    assert (tmp_path / "manifest.json").read_text() == text


def test_load_cache_refuses_an_unreadable_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").mkdir()
    with pytest.raises(hn.EnvError, match=r"manifest\.json: cannot read: it is a folder, not a file \(delete"):
        hn.load_cache(tmp_path)
    (tmp_path / "manifest.json").rmdir()
    (tmp_path / "manifest.json").write_bytes(b'{"format": 1, "kernel": "\xff"}')
    with pytest.raises(hn.EnvError, match=r"manifest\.json: line 1: not UTF-8 text \(byte 0xff at offset 25\)"):
        hn.load_cache(tmp_path)


# ---------------------------------------------------------------------------
# the results stream


def rec(line: str) -> bytes:
    return b"@@hcabi-nested " + line.encode() + b"\n"


def data(name: str, kind: str, payload: bytes, crc: int | None = None) -> bytes:
    c = zlib.crc32(payload) if crc is None else crc
    return rec(f"data name={name} kind={kind} size={len(payload)} crc32={c:08x}") + payload + b"\n"


def job(name: str, serial: bytes, stderr: bytes = b"", status: int = 0, killed: int = 0) -> bytes:
    return (
        rec(f"job-start name={name}")
        + data(name, "serial", serial)
        + data(name, "stderr", stderr)
        + rec(f"status name={name} status={status} elapsed_ms=12 killed={killed}")
    )


HEAD = rec("start protocol=1 jobs=2") + rec("kvm ok vendor=amd")
BINARY = bytes(range(256)) * 3 + b"\n@@hcabi-nested done\n" + b"\r\n\x00"


def results(events: list[hn.Event]) -> dict[str, hn.JobResult]:
    return {e.result.name: e.result for e in events if e.kind == "result" and e.result}


def kinds(events: list[hn.Event]) -> list[str]:
    return [e.kind for e in events]


def test_decode_complete_stream() -> None:
    stream = HEAD + job("a", BINARY, b"warn\n", 1) + job("b", b"", b"", 0, killed=1) + rec("done")
    ev = hn.decode_results(stream)
    assert kinds(ev) == ["start", "kvm-ok", "job-start", "result", "job-start", "result", "done"]
    r = results(ev)
    assert r["a"].serial == BINARY and r["a"].stderr == b"warn\n" and r["a"].status == 1 and not r["a"].killed
    assert r["b"].serial == b"" and r["b"].killed and r["b"].elapsed_ms == 12


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 4096])
def test_decode_in_any_chunking(chunk: int) -> None:
    stream = HEAD + job("a", BINARY * 10, b"e") + job("b", b"x") + rec("done")
    d = hn.ResultDecoder()
    ev: list[hn.Event] = []
    for i in range(0, len(stream), chunk):
        ev += d.feed(stream[i : i + chunk])
    ev += d.finish()
    assert [e for e in ev if e.kind == "problem"] == []
    assert results(ev)["a"].serial == BINARY * 10
    assert d.done


def test_decode_large_payload() -> None:
    big = os.urandom(3 << 20)
    r = results(hn.decode_results(HEAD + job("a", big) + rec("done")))
    assert r["a"].serial == big


@pytest.mark.parametrize("cut", [1, 10, 40, 60, 100, 300, 900])
def test_decode_truncated_stream(cut: int) -> None:
    """Whatever the cut, the first job (complete) survives, the second never
    counts as completed, and no exception escapes."""
    first = HEAD + job("a", b"A" * 50)
    second = job("b", BINARY)
    stream = first + second + rec("done")
    ev = hn.decode_results(stream[: len(first) + min(cut, len(second) - 1)])
    r = results(ev)
    assert "a" in r and "b" not in r
    assert "done" not in kinds(ev)
    assert any(e.kind == "problem" for e in ev)


def test_decode_truncated_inside_header() -> None:
    ev = hn.decode_results(HEAD + b"@@hcabi-nested job-st")
    assert kinds(ev)[-1] == "problem"
    assert "ends inside a record" in ev[-1].text


def test_decode_empty_stream() -> None:
    assert hn.decode_results(b"") == []


def test_decode_crc_mismatch_loses_only_that_job() -> None:
    bad = rec("job-start name=a") + data("a", "serial", b"hello", crc=0x1234) + data("a", "stderr", b"") + rec("status name=a status=0 elapsed_ms=1 killed=0")
    ev = hn.decode_results(HEAD + bad + job("b", b"fine") + rec("done"))
    r = results(ev)
    assert list(r) == ["b"]
    texts = [e.text for e in ev if e.kind == "problem"]
    assert any("CRC" in t for t in texts)
    assert any("job a" in t and "not counted" in t for t in texts)


def test_decode_flipped_payload_byte() -> None:
    stream = bytearray(HEAD + job("a", b"0123456789" * 10) + rec("done"))
    pos = stream.index(b"0123456789") + 5
    stream[pos] ^= 0x01
    ev = hn.decode_results(bytes(stream))
    assert results(ev) == {}
    assert "done" in kinds(ev)


def test_decode_wrong_size_resyncs() -> None:
    """A size that is too small leaves payload where a header should be: the
    job is lost, the decoder finds the next record and the rest survives."""
    payload = b"abcdefghij"
    bad = rec("job-start name=a") + rec(f"data name=a kind=serial size=4 crc32={zlib.crc32(payload[:4]):08x}") + payload + b"\n"
    bad += data("a", "stderr", b"") + rec("status name=a status=0 elapsed_ms=1 killed=0")
    ev = hn.decode_results(HEAD + bad + job("b", b"ok") + rec("done"))
    assert list(results(ev)) == ["b"]
    assert "done" in kinds(ev)


def test_decode_garbage_between_records() -> None:
    stream = HEAD + b"kernel noise\r\n\x00\xff" + job("a", b"x") + b"junk" + rec("done")
    ev = hn.decode_results(stream)
    assert list(results(ev)) == ["a"]
    assert "done" in kinds(ev)
    problems = [e for e in ev if e.kind == "problem"]
    assert len(problems) == 2  # one per damaged stretch, not one per byte


def test_decode_garbage_inside_a_job_loses_it() -> None:
    stream = HEAD + rec("job-start name=a") + b"noise\n" + data("a", "serial", b"x") + data("a", "stderr", b"")
    stream += rec("status name=a status=0 elapsed_ms=1 killed=0") + rec("done")
    ev = hn.decode_results(stream)
    assert results(ev) == {}


def test_decode_missing_stderr_section() -> None:
    stream = HEAD + rec("job-start name=a") + data("a", "serial", b"x") + rec("status name=a status=0 elapsed_ms=1 killed=0")
    ev = hn.decode_results(stream)
    assert results(ev) == {}
    assert any("missing stderr" in e.text for e in ev)


def test_decode_data_for_another_job() -> None:
    stream = HEAD + rec("job-start name=a") + data("b", "serial", b"x") + data("a", "stderr", b"")
    stream += rec("status name=a status=0 elapsed_ms=1 killed=0")
    assert results(hn.decode_results(stream)) == {}


def test_decode_bad_headers_do_not_raise() -> None:
    for line in ["data name=a kind=serial size=-1 crc32=0", "data name=a kind=other size=1 crc32=0", "data name=a", "status name=a status=x", "status", "job-start", "what is this", "data name=a kind=serial size=1 crc32=zz"]:
        ev = hn.decode_results(HEAD + rec("job-start name=a") + rec(line) + rec("done"))
        assert any(e.kind == "problem" for e in ev), line
        assert "done" in kinds(ev)


def test_decode_non_ascii_header() -> None:
    ev = hn.decode_results(HEAD + b"@@hcabi-nested \xff\xfe\n" + rec("done"))
    assert any(e.kind == "problem" for e in ev)
    assert "done" in kinds(ev)


def test_decode_endless_header() -> None:
    d = hn.ResultDecoder()
    ev = d.feed(b"@@hcabi-nested " + b"x" * 10000)
    assert any("too long" in e.text for e in ev)
    ev2 = d.feed(b"\n" + rec("done"))
    assert "done" in kinds(ev2)


def test_decode_kvm_fail() -> None:
    ev = hn.decode_results(rec("start protocol=1 jobs=1") + rec("kvm-fail msg=insmod kvm_amd failed: Operation not supported"))
    fails = [e for e in ev if e.kind == "kvm-fail"]
    assert fails and fails[0].text == "insmod kvm_amd failed: Operation not supported"


def test_decode_protocol_mismatch_is_reported() -> None:
    ev = hn.decode_results(rec("start protocol=9 jobs=0") + rec("done"))
    assert any("protocol 9" in e.text for e in ev)


def test_decode_unfinished_job_reported() -> None:
    ev = hn.decode_results(HEAD + rec("job-start name=a") + data("a", "serial", b"x"))
    assert any("job a did not finish" in e.text for e in ev)


# ---------------------------------------------------------------------------
# writing results and the command line


def test_write_result_files(tmp_path: Path) -> None:
    hn.write_result(tmp_path, hn.JobResult("a", b"\x00ser", b"err", 7, 1, False), 60)
    assert (tmp_path / "a.serial").read_bytes() == b"\x00ser"
    assert (tmp_path / "a.stderr").read_bytes() == b"err"
    assert (tmp_path / "a.status").read_text() == "7\n"
    hn.write_result(tmp_path, hn.JobResult("k", b"s", b"e", 137, 1, True), 60)
    assert not (tmp_path / "k.status").exists()
    assert b"killed after 60 s" in (tmp_path / "k.stderr").read_bytes()


def test_qemu_command_shape(tmp_path: Path) -> None:
    cmd = hn.qemu_command("qemu", tmp_path / "k", tmp_path / "i", tmp_path / "c", tmp_path / "r", 2048, 2)
    joined = " ".join(cmd)
    assert "-accel tcg" in joined and "-cpu max" in joined and "-no-reboot" in joined
    assert "panic=-1" in joined and "console=ttyS0" in joined and "-smp 2" in joined
    assert f"name={hn.PORT_NAME}" in joined


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), *args], capture_output=True, text=True)


def test_cli_usage_errors(tmp_path: Path) -> None:
    r = run_cli()
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli("--out", str(tmp_path), str(tmp_path / "missing.jobs"))
    assert r.returncode == 2
    assert r.stderr == f"hcabi-nested: error: JOBFILE {tmp_path}/missing.jobs: cannot read: No such file or directory\n"
    bad = tmp_path / "bad.jobs"
    bad.write_text("name without tab\n")
    r = run_cli("--out", str(tmp_path), str(bad))
    assert r.returncode == 2 and f"{bad}:1:" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--timeout", "-3", "--out", str(tmp_path), str(bad))
    assert r.returncode == 2 and "must be positive" in r.stderr


def test_cli_help() -> None:
    r = run_cli("--help")
    assert r.returncode == 0 and "--out DIR" in r.stdout and "JOBFILE" in r.stdout


def test_cli_missing_qemu_is_environment_error(tmp_path: Path) -> None:
    jobs = tmp_path / "j"
    jobs.write_text("a\techo\n")
    env = dict(os.environ, HCABI_NESTED_QEMU=str(tmp_path / "no-such-qemu"))
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--out", str(tmp_path / "o"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 4 and "qemu-system-x86_64 not found" in r.stderr and "Traceback" not in r.stderr


def test_stale_results_are_removed_before_a_run(tmp_path: Path) -> None:
    """A job that does not complete this time must not keep last time's .status."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "a.status").write_text("0\n")
    (out / "other.status").write_text("0\n")
    jobs = tmp_path / "j"
    jobs.write_text("a\techo\n")
    env = dict(os.environ, HCABI_NESTED_QEMU=str(tmp_path / "no-such-qemu"))
    subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--out", str(out), str(jobs)], capture_output=True, env=env)
    # the QEMU check comes first: nothing was touched
    assert (out / "a.status").exists()
    env["HCABI_NESTED_QEMU"] = "/bin/false"
    cache = tmp_path / "emptycache"
    r = subprocess.run(
        [sys.executable, str(SCRIPTS / "hcabi-nested"), "--cache", str(cache), "--out", str(out), str(jobs)],
        capture_output=True,
        text=True,
        env=dict(env, PATH="/nonexistent"),  # no apt: the cache cannot be filled
    )
    assert r.returncode == 4 and "Traceback" not in r.stderr
    assert not (out / "a.status").exists()
    assert (out / "other.status").exists()


# ---------------------------------------------------------------------------
# the holder (--holder, HCABI_NESTED_HOLDER)


def test_parse_holder() -> None:
    assert hn.parse_holder(None) is None
    assert hn.parse_holder("") is None and hn.parse_holder("  ") is None
    assert hn.parse_holder("/b/hcabi-nested-probe --hold") == ("/b/hcabi-nested-probe", "--hold")
    assert hn.parse_holder("'/a dir/p' --x='1 2'") == ("/a dir/p", "--x=1 2")
    with pytest.raises(hn.UsageError, match="HCABI_NESTED_HOLDER: cannot split"):
        hn.parse_holder("'unbalanced", "HCABI_NESTED_HOLDER")


def test_holder_shares_the_file_plan(tmp_path: Path) -> None:
    prog = tmp_path / "probe"
    prog.write_bytes(_elf64(None))
    os.chmod(prog, 0o644)
    gjobs, plan = hn.rewrite_args(hn.parse_jobfile(f"copy\tcat {prog}\n"))
    holder = hn.rewrite_holder((str(prog), "--hold"), plan)
    assert holder.argv == ("/files/0/probe", "--hold")  # the same guest copy as the job's argument
    assert os.path.realpath(prog) in plan.executables
    entries = hn.read_cpio(hn.build_initramfs(_fake_cache(tmp_path / "c"), gjobs, plan, 30, holder))
    assert entries["holder.sh"][1] == b"#!/bin/sh\nexec /files/0/probe --hold\n"
    assert entries["files/0/probe"][0] & 0o111
    init = entries["init"][1].decode()
    assert "start_holder\nrun_job copy\nstop_holder\n" in init


def test_no_holder_no_holder_calls(tmp_path: Path) -> None:
    gjobs, plan = hn.rewrite_args(hn.parse_jobfile("a\techo\n"))
    entries = hn.read_cpio(hn.build_initramfs(_fake_cache(tmp_path / "c"), gjobs, plan, 30))
    assert "holder.sh" not in entries
    assert "start_holder\n" not in entries["init"][1].decode()


def test_holder_problem(tmp_path: Path) -> None:
    dyn = tmp_path / "dyn"
    dyn.write_bytes(_elf64(b"/lib64/ld-linux-x86-64.so.2"))
    static = tmp_path / "static"
    static.write_bytes(_elf64(None))
    assert "dynamically linked" in (hn.holder_problem((str(dyn),)) or "")
    assert hn.holder_problem((str(static), "--hold")) is None
    assert hn.holder_problem(("sleep", "1000")) is None  # not a host file: the guest's business


def test_decode_holder_records() -> None:
    stream = (
        HEAD
        + rec("holder state=up msg=nested-probe: hold=ready keys=preempt_notifier,kvm_xen_enabled")
        + job("a", b"x")
        + rec("holder state=stopped msg=status 0: nested-probe: hold=released signal=15")
        + rec("done")
    )
    ev = hn.decode_results(stream)
    assert kinds(ev) == ["start", "kvm-ok", "holder-up", "job-start", "result", "holder-stopped", "done"]
    assert ev[2].text == "nested-probe: hold=ready keys=preempt_notifier,kvm_xen_enabled"
    ev = hn.decode_results(HEAD + rec("holder state=failed msg=it ended with status 127") + rec("done"))
    assert kinds(ev) == ["start", "kvm-ok", "holder-failed", "done"]
    ev = hn.decode_results(HEAD + rec("holder state=bogus msg=x") + rec("holder") + rec("done"))
    assert kinds(ev) == ["start", "kvm-ok", "problem", "problem", "done"]


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
    functions = hn.render_holder_functions(ready_timeout=1, stop_timeout=1, workdir=str(tmp_path / "w"), script=str(script))
    harness = tmp_path / "harness.sh"
    harness.write_text(HOLDER_HARNESS.format(functions=functions, between=between))
    for sh in shells:
        records = tmp_path / "records"
        r = subprocess.run([*sh, str(harness), str(records)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (sh, r.stdout, r.stderr)
        ev = hn.decode_results(records.read_bytes())
        assert [e.kind for e in ev] == [f"holder-{s}" for s in states], (sh, ev, r.stdout)
        text = " | ".join(e.text for e in ev)
        for w in words:
            assert w in text, (sh, text)
        assert "job runs; holder_pid=" in r.stdout


def test_cli_holder_from_environment_must_split(tmp_path: Path) -> None:
    jobs = tmp_path / "j"
    jobs.write_text("a\techo\n")
    env = dict(os.environ, HCABI_NESTED_HOLDER="'unbalanced", HCABI_NESTED_QEMU=str(tmp_path / "no-qemu"))
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--out", str(tmp_path / "o"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "HCABI_NESTED_HOLDER: cannot split" in r.stderr
    # --holder '' overrides the environment: no holder, and the next error is QEMU's
    r = subprocess.run([sys.executable, str(SCRIPTS / "hcabi-nested"), "--holder", "", "--out", str(tmp_path / "o"), str(jobs)], capture_output=True, text=True, env=env)
    assert r.returncode == 4 and "qemu-system-x86_64 not found" in r.stderr
