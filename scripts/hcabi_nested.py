#!/usr/bin/env python3
"""hcabi-nested: run static programs (normally hcabi-refvmm) under KVM where
the host has no usable /dev/kvm.

A stock Debian 6.12 kernel (bookworm-backports; it has CONFIG_KVM_XEN) boots
in ``qemu-system-x86_64 -accel tcg -cpu max``; TCG emulates AMD SVM with
nested paging, so kvm-amd loads inside and /dev/kvm appears there.  One boot
runs a whole batch of jobs, one after the other.

The contract is docs/internals.md, section "The nested launcher".  This module
holds all the logic so that tests can import it; ``scripts/hcabi-nested`` is a
thin wrapper around :func:`main`.

Standard library only: it must run under any Python 3.11 on a fresh Debian.

Transport (guest -> host).  The kernel console stays on ttyS0 (kept in
``OUT/hcabi-nested.log``).  Results travel on a separate virtio-serial port, a
raw byte channel that no console or tty processing touches, as a stream of
records (see :class:`ResultDecoder`)::

    @@hcabi-nested start protocol=1 jobs=N
    @@hcabi-nested kvm ok vendor=amd           | @@hcabi-nested kvm-fail msg=TEXT
    @@hcabi-nested holder state=up msg=TEXT    | ... state=failed msg=TEXT  (with --holder)
    @@hcabi-nested job-start name=NAME
    @@hcabi-nested data name=NAME kind=serial size=N crc32=XXXXXXXX
    <exactly N raw bytes>
    (a newline after the payload)
    @@hcabi-nested data name=NAME kind=stderr size=N crc32=XXXXXXXX
    <exactly N raw bytes>
    (a newline after the payload)
    @@hcabi-nested status name=NAME status=N elapsed_ms=N killed=0|1
    ...
    @@hcabi-nested holder state=stopped|lost msg=TEXT                       (with --holder)
    @@hcabi-nested done

Lengths make the payload binary-safe; the CRC-32 (zlib's) catches corruption;
a job counts as completed only when both payloads and its status arrived
intact, and only then does the launcher write ``NAME.status``.

The holder (``--holder``, default ``$HCABI_NESTED_HOLDER``): a static program
started in the background once KVM is up, before the first job, and stopped
(SIGTERM) after the last.  It keeps one idle KVM VM alive for the whole batch,
so that the number of live VMs never drops to 0 between jobs: each time it
goes between 0 and 1 the nested kernel patches its own text (static keys:
the scheduler's preempt notifiers, KVM's Xen and LAPIC keys), and under
multi-threaded TCG that patching has been seen to panic the nested kernel
("Oops: int3" in finish_task_switch, about one boot in seven).  The project's
holder is ``hcabi-nested-probe --hold`` (scripts/nested-probe.c).  It is a
mitigation: if it does not come up, the jobs run without it, with a warning.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import shlex
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Iterable, NoReturn, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcabi_load as hl  # noqa: E402

PROG = "hcabi-nested"
PROTOCOL = 1
MAGIC = b"@@hcabi-nested "
PORT_NAME = "org.hcabi.nested.results"
CACHE_FORMAT = 1

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ENV = 4

DEFAULT_TIMEOUT = 1200.0
DEFAULT_JOB_TIMEOUT = 600.0
DEFAULT_MEMORY_MIB = 2048
DEFAULT_SMP = 2
# After the guest says "done", how long QEMU may take to power off before we kill it.
POWEROFF_GRACE = 20.0
# How long the holder may take to print its ready line, and to end on SIGTERM.
HOLDER_READY_TIMEOUT = 60
HOLDER_STOP_TIMEOUT = 10
HOLDER_READY_WORD = "hold=ready"
HOLDER_ENV = "HCABI_NESTED_HOLDER"
HOLDER_STATES = ("up", "failed", "stopped", "lost")

# What load_cache requires of manifest.json (hcabi_load.check_shape); _populate_cache writes it.
MANIFEST_SHAPE = {"format": int, "kernel": {"release": str, "vmlinuz": str, "modules_dir": str, "channel_modules": [str],
                                             "kvm_modules": {str: [str]}, "package?": str},
                  "busybox": {"binary": str}, "sha256": {str: str}}

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = REPO_ROOT / "build" / "nested-cache"

# linux-image-6.12.N+deb12[.M]-amd64[-unsigned]: the generic amd64 flavour only
# (not cloud, rt or dbg).  Both bookworm-backports and bookworm-security name
# their 6.12 kernels like this.
KERNEL_PACKAGE_RE = re.compile(r"^linux-image-6\.12\.\d+\+deb12(?:\.\d+)?-amd64(?:-unsigned)?$")
PREFERRED_SUITE = "bookworm-backports"
BUSYBOX_PACKAGE = "busybox-static"

JOB_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")

# Kernel features the guest needs.  (config symbol, module that provides it
# when the symbol is =m).  Results channel first, then KVM per CPU vendor.
CHANNEL_FEATURES = (("CONFIG_VIRTIO_PCI", "virtio_pci"), ("CONFIG_VIRTIO_CONSOLE", "virtio_console"))
KVM_FEATURES = {
    "amd": (("CONFIG_KVM", "kvm"), ("CONFIG_KVM_AMD", "kvm_amd")),
    "intel": (("CONFIG_KVM", "kvm"), ("CONFIG_KVM_INTEL", "kvm_intel")),
}
REQUIRED_BUILTIN = (
    "CONFIG_KVM_XEN",
    "CONFIG_BLK_DEV_INITRD",
    "CONFIG_DEVTMPFS",
    "CONFIG_SERIAL_8250_CONSOLE",
    "CONFIG_TMPFS",
)


class UsageError(Exception):
    """The user asked for something impossible: exit status 2."""


class EnvError(Exception):
    """The environment failed (no QEMU, no kernel, KVM did not come up, the VM died): exit status 4."""


# ---------------------------------------------------------------------------
# The job file


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    argv: tuple[str, ...]
    line: int


def parse_jobfile(text: str, source: str = "JOBFILE") -> list[Job]:
    """Parse ``NAME<TAB>ARGS...`` lines.

    ARGS are split like a POSIX shell splits words (``shlex``): plain words are
    separated by spaces; quote a word that holds spaces.  Blank lines and lines
    whose first non-blank character is ``#`` are ignored.  Raises UsageError,
    naming the file and line, on the first malformed line.
    """
    jobs: list[Job] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{lineno}"
        if raw.strip() == "" or raw.lstrip().startswith("#"):
            continue
        if "\t" not in raw:
            raise UsageError(f"{where}: expected NAME<TAB>ARGS, found no tab")
        name, args = raw.split("\t", 1)
        if name == "":
            raise UsageError(f"{where}: empty job name")
        if not JOB_NAME_RE.match(name):
            raise UsageError(
                f"{where}: bad job name {name!r} (use letters, digits, '_', '.', '+', '-'; "
                "not starting with '.', '+' or '-'; at most 128 characters)"
            )
        if name in seen:
            raise UsageError(f"{where}: job name {name!r} already used on line {seen[name]}")
        if "\0" in args:
            raise UsageError(f"{where}: NUL byte in arguments")
        try:
            argv = shlex.split(args.replace("\t", " "), comments=False, posix=True)
        except ValueError as exc:
            raise UsageError(f"{where}: cannot split arguments: {exc}") from None
        if not argv:
            raise UsageError(f"{where}: job {name!r} has no program to run")
        seen[name] = lineno
        jobs.append(Job(name=name, argv=tuple(argv), line=lineno))
    return jobs


# ---------------------------------------------------------------------------
# Host files -> initramfs


@dataclasses.dataclass(frozen=True)
class GuestJob:
    name: str
    argv: tuple[str, ...]  # in-guest argv


@dataclasses.dataclass
class FilePlan:
    """Which host files go into the initramfs and under which guest path."""

    files: dict[str, str] = dataclasses.field(default_factory=dict)  # host realpath -> guest path
    executables: set[str] = dataclasses.field(default_factory=set)  # host realpaths used as programs

    def guest_path(self, host: str) -> str:
        real = os.path.realpath(host)
        if real not in self.files:
            base = os.path.basename(real) or "file"
            self.files[real] = f"/files/{len(self.files)}/{base}"
        return self.files[real]


def _is_host_file(arg: str, cwd: str) -> bool:
    if arg == "" or arg.startswith("-"):
        return False
    return os.path.isfile(os.path.join(cwd, arg))


def rewrite_args(jobs: Sequence[Job], cwd: Optional[str] = None) -> tuple[list[GuestJob], FilePlan]:
    """Replace every argument that names an existing host file (or the PATH of
    an ``--option=PATH`` argument) by its in-guest path.  The same host file
    (after resolving symlinks) is copied once however often it is named.
    Relative paths are taken relative to ``cwd`` (default: the current
    directory).  Other arguments, including a program that is not a host file
    (a busybox applet such as ``sh``), pass unchanged."""
    cwd = cwd or os.getcwd()
    plan = FilePlan()
    out = [GuestJob(name=job.name, argv=_rewrite_argv(job.argv, plan, cwd)) for job in jobs]
    return out, plan


def _rewrite_argv(argv: Sequence[str], plan: FilePlan, cwd: str) -> tuple[str, ...]:
    out: list[str] = []
    for i, arg in enumerate(argv):
        if _is_host_file(arg, cwd):
            host = os.path.join(cwd, arg)
            out.append(plan.guest_path(host))
            if i == 0:
                plan.executables.add(os.path.realpath(host))
            continue
        m = re.match(r"^(--?[A-Za-z0-9][A-Za-z0-9_-]*=)(.+)$", arg)
        if i > 0 and m and _is_host_file(m.group(2), cwd):
            out.append(m.group(1) + plan.guest_path(os.path.join(cwd, m.group(2))))
            continue
        out.append(arg)
    return tuple(out)


# ---------------------------------------------------------------------------
# The holder


def parse_holder(text: Optional[str], source: str = "--holder") -> Optional[tuple[str, ...]]:
    """``PROGRAM [ARGS...]`` split like the ARGS of a job line; None when the
    text is missing or blank (no holder).  UsageError when it cannot be split."""
    if text is None or text.strip() == "":
        return None
    if "\0" in text or "\n" in text:
        raise UsageError(f"{source}: NUL or newline in the holder command")
    try:
        argv = shlex.split(text.replace("\t", " "), comments=False, posix=True)
    except ValueError as exc:
        raise UsageError(f"{source}: cannot split {text!r}: {exc}") from None
    return tuple(argv) or None


def holder_problem(argv: Sequence[str], cwd: Optional[str] = None) -> Optional[str]:
    """Why the holder cannot run in the guest, as far as the host can tell
    (a dynamically linked program, an unreadable one), else None.  A program
    that is not a host file is left to the guest, like a job's."""
    cwd = cwd or os.getcwd()
    if not _is_host_file(argv[0], cwd):
        path = os.path.join(cwd, argv[0])
        return f"{path} is not a file" if argv[0] and os.path.exists(path) else None
    host = os.path.realpath(os.path.join(cwd, argv[0]))
    try:
        with open(host, "rb") as fh:
            interp = elf_interpreter(fh.read(1 << 20))
    except (OSError, ValueError) as exc:
        return f"cannot inspect {host}: {exc}"
    if interp is not None:
        return f"{host} is dynamically linked (interpreter {interp}); link it with -static"
    return None


def rewrite_holder(argv: Sequence[str], plan: FilePlan, cwd: Optional[str] = None) -> GuestJob:
    """The holder's in-guest argv; its files join ``plan`` (shared with the jobs)."""
    return GuestJob(name="holder", argv=_rewrite_argv(argv, plan, cwd or os.getcwd()))


def elf_interpreter(data: bytes) -> Optional[str]:
    """The PT_INTERP of an ELF file (a dynamically linked program), or None
    (static, or not ELF).  Raises ValueError on a truncated ELF header."""
    if data[:4] != b"\x7fELF":
        return None
    if len(data) < 0x34:
        raise ValueError("truncated ELF header")
    cls, endian = data[4], data[5]
    e = "<" if endian == 1 else ">"
    if cls == 2:
        if len(data) < 0x40:
            raise ValueError("truncated ELF header")
        phoff = struct.unpack_from(e + "Q", data, 0x20)[0]
        phentsize, phnum = struct.unpack_from(e + "HH", data, 0x36)
        fmt, off_i, size_i = e + "IIQQQQQQ", 2, 5  # Elf64_Phdr: type flags offset vaddr paddr filesz
    elif cls == 1:
        phoff = struct.unpack_from(e + "I", data, 0x1C)[0]
        phentsize, phnum = struct.unpack_from(e + "HH", data, 0x2A)
        fmt, off_i, size_i = e + "IIIIIIII", 1, 4  # Elf32_Phdr: type offset vaddr paddr filesz
    else:
        raise ValueError("unknown ELF class")
    for i in range(phnum):
        base = phoff + i * phentsize
        if base + struct.calcsize(fmt) > len(data):
            raise ValueError("truncated ELF program headers")
        fields = struct.unpack_from(fmt, data, base)
        if fields[0] == 3:  # PT_INTERP
            off, size = fields[off_i], fields[size_i]
            return data[off : off + size].split(b"\0", 1)[0].decode("utf-8", "replace")
    return None


def check_programs(plan: FilePlan) -> None:
    """The guest has no shared libraries: reject dynamically linked programs."""
    for host in sorted(plan.executables):
        try:
            with open(host, "rb") as fh:
                head = fh.read(1 << 20)
            interp = elf_interpreter(head)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot inspect program {host}: {exc}") from None
        if interp is not None:
            raise UsageError(
                f"program {host} is dynamically linked (interpreter {interp}); the nested guest "
                "has no shared libraries: link it with -static"
            )


# ---------------------------------------------------------------------------
# cpio (newc) writer: the initramfs, with no external tool


class CpioWriter:
    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ino = 1
        self._dirs: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        nameb = name.encode("utf-8") + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        # ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        fields = [self._ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(nameb), 0]
        self._ino += 1
        hdr = b"070701" + b"".join(b"%08x" % f for f in fields)
        self._parts.append(hdr + nameb + b"\0" * (-(len(hdr) + len(nameb)) % 4))
        if data:
            self._parts.append(data + b"\0" * (-len(data) % 4))

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self._dirs:
                self._dirs.add(d)
                self._entry(d, stat.S_IFDIR | mode)

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFREG | mode, data)

    def add_symlink(self, path: str, target: str) -> None:
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFLNK | 0o777, target.encode("utf-8"))

    def add_chardev(self, path: str, major: int, minor: int, mode: int = 0o600) -> None:
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFCHR | mode, b"", (major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        out = b"".join(self._parts)
        return out + b"\0" * (-len(out) % 512)


def read_cpio(data: bytes) -> dict[str, tuple[int, bytes]]:
    """Parse a newc archive into {name: (mode, data)} (for tests)."""
    out: dict[str, tuple[int, bytes]] = {}
    pos = 0
    while True:
        if data[pos : pos + 6] != b"070701":
            raise ValueError(f"bad cpio magic at {pos}")
        f = [int(data[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        npos = pos + 110
        name = data[npos : npos + namesize - 1].decode("utf-8")
        dpos = npos + namesize + (-(110 + namesize) % 4)
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, data[dpos : dpos + size])
        pos = dpos + size + (-size % 4)


# ---------------------------------------------------------------------------
# Debian packages: version order, kernel choice, download, extraction


def _order(c: str) -> int:
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256 if c else 0


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def compare_debian_versions(a: str, b: str) -> int:
    """<0, 0, >0 like ``dpkg --compare-versions``."""

    def split(v: str) -> tuple[int, str, str]:
        epoch = 0
        if ":" in v:
            e, v = v.split(":", 1)
            epoch = int(e) if e.isdigit() else 0
        up, _, rev = v.rpartition("-") if "-" in v else (v, "", "")
        return epoch, up, rev

    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


@dataclasses.dataclass(frozen=True)
class Candidate:
    package: str
    version: str
    suite: str


def parse_madison(text: str) -> list[Candidate]:
    """Parse ``apt-cache madison`` output (binary package lines only)."""
    out: list[Candidate] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[2].endswith("Packages"):
            continue
        words = parts[2].split()
        suite = words[1].split("/", 1)[0] if len(words) >= 2 else ""
        out.append(Candidate(package=parts[0], version=parts[1], suite=suite))
    return out


def choose_kernel(cands: Iterable[Candidate]) -> tuple[Candidate, bool]:
    """The newest generic amd64 6.12 kernel, from bookworm-backports if it has
    one (second value True), else from any suite (False).  At equal versions
    the signed package wins over the -unsigned one.  Deterministic."""
    usable = [c for c in cands if KERNEL_PACKAGE_RE.match(c.package)]
    if not usable:
        raise EnvError(
            "apt knows no linux-image-6.12.*-amd64 package; add bookworm-backports to the apt sources "
            "and run apt-get update (scripts/setup-debian.sh does both)"
        )
    preferred = [c for c in usable if c.suite == PREFERRED_SUITE]
    pool = preferred or usable

    def key(c: Candidate) -> tuple:
        return (c.version, 0 if c.package.endswith("-unsigned") else 1, c.package)

    best = pool[0]
    for c in pool[1:]:
        cmp = compare_debian_versions(c.version, best.version)
        if cmp > 0 or (cmp == 0 and key(c)[1:] > key(best)[1:]):
            best = c
    return best, bool(preferred)


def _run(cmd: Sequence[str], what: str, cwd: Optional[Path] = None) -> str:
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except FileNotFoundError:
        raise EnvError(f"{what}: {cmd[0]} not found (this needs a Debian system with apt and dpkg)") from None
    if proc.returncode != 0:
        lines = [
            ln
            for ln in (proc.stderr or proc.stdout).splitlines()
            if ln.strip() and not ln.startswith("W: Download is performed unsandboxed")
        ]
        detail = lines[-1] if lines else f"exit status {proc.returncode}"
        raise EnvError(f"{what} failed: {detail}")
    return proc.stdout


def find_kernel_candidates() -> list[Candidate]:
    listed = _run(["apt-cache", "pkgnames", "linux-image-6.12."], "apt-cache pkgnames").split()
    names = [n for n in listed if KERNEL_PACKAGE_RE.match(n)]
    if not names:
        return []
    return parse_madison(_run(["apt-cache", "madison", *sorted(names)], "apt-cache madison"))


def apt_download(spec: str, into: Path) -> Path:
    """``apt-get download`` one package (verified against the signed archive
    index by apt) into ``into``; return the .deb path."""
    before = set(into.glob("*.deb"))
    cmd = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", spec]
    _run(cmd, f"apt-get download {spec}", cwd=into)
    new = sorted(set(into.glob("*.deb")) - before)
    if len(new) != 1:
        raise EnvError(f"apt-get download {spec} did not produce exactly one .deb")
    return new[0]


def deb_field(deb: Path, field: str) -> str:
    return _run(["dpkg-deb", "-f", str(deb), field], "dpkg-deb -f").strip()


def deb_extract(deb: Path, into: Path) -> None:
    _run(["dpkg-deb", "-x", str(deb), str(into)], f"dpkg-deb -x {deb.name}")


def decompress_module(path: Path) -> bytes:
    raw = path.read_bytes()
    name = path.name
    if name.endswith(".ko"):
        return raw
    if name.endswith(".ko.xz"):
        return lzma.decompress(raw)
    if name.endswith(".ko.gz"):
        return gzip.decompress(raw)
    if name.endswith(".ko.zst"):
        try:
            return subprocess.run(["zstd", "-dcq"], input=raw, capture_output=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            raise EnvError(f"cannot decompress {name} (needs zstd): {exc}") from None
    raise EnvError(f"unknown module compression: {name}")


def modinfo(ko: bytes) -> dict[str, list[str]]:
    """The ``.modinfo`` section of a (decompressed) ELF64 kernel module."""
    if ko[:4] != b"\x7fELF" or ko[4] != 2:
        raise ValueError("not an ELF64 module")
    e = "<" if ko[5] == 1 else ">"
    shoff = struct.unpack_from(e + "Q", ko, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", ko, 0x3A)

    def sh(i: int) -> tuple[int, int, int]:
        name, _typ, _flags, _addr, off, size = struct.unpack_from(e + "IIQQQQ", ko, shoff + i * shentsize)
        return name, off, size

    _, stroff, strsize = sh(shstrndx)
    strtab = ko[stroff : stroff + strsize]
    info: dict[str, list[str]] = {}
    for i in range(shnum):
        name, off, size = sh(i)
        if strtab[name:].split(b"\0", 1)[0] == b".modinfo":
            for item in ko[off : off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    info.setdefault(k, []).append(v)
    return info


def module_order(roots: Sequence[str], depends: dict[str, list[str]]) -> list[str]:
    """Load order (dependencies first) of ``roots`` and everything they need."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(m: str, chain: tuple[str, ...]) -> None:
        if state.get(m) == 2:
            return
        if state.get(m) == 1:
            raise EnvError(f"module dependency cycle: {' -> '.join(chain + (m,))}")
        if m not in depends:
            raise EnvError(f"module {m} (needed by {chain[-1] if chain else 'the launcher'}) is not in the kernel package")
        state[m] = 1
        for d in depends[m]:
            visit(d, chain + (m,))
        state[m] = 2
        order.append(m)

    for r in roots:
        visit(r, ())
    return order


def parse_kconfig(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def _norm(name: str) -> str:
    return name.replace("-", "_")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclasses.dataclass
class CacheInfo:
    root: Path
    manifest: dict

    @property
    def kernel(self) -> Path:
        return self.root / self.manifest["kernel"]["vmlinuz"]

    @property
    def busybox(self) -> Path:
        return self.root / self.manifest["busybox"]["binary"]

    def module_path(self, name: str) -> Path:
        return self.root / self.manifest["kernel"]["modules_dir"] / f"{name}.ko"

    @property
    def release(self) -> str:
        return self.manifest["kernel"]["release"]


def _log(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def load_cache(cache: Path) -> Optional[CacheInfo]:
    """The cache if it is complete and intact; None when it has no manifest yet, one of
    another format or kernel, or a damaged file (then it is filled again).  EnvError,
    naming the file and the path in it, for a manifest that cannot be read or has the
    wrong shape: that is no interrupted download, so the launcher does not overwrite it."""
    mf = cache / "manifest.json"
    if not os.path.lexists(mf):
        return None
    fix = f" (delete the cache {cache} to download it again)"
    try:
        manifest = hl.expect(hl.read_json(mf), dict, str(mf), [])
        if manifest.get("format") != CACHE_FORMAT:
            return None
        hl.check_shape(manifest, MANIFEST_SHAPE, str(mf))
    except hl.InputError as exc:
        raise EnvError(f"{exc}{fix}") from None
    want = os.environ.get("HCABI_NESTED_KERNEL_PACKAGE")
    if want and manifest["kernel"].get("package") != want:
        return None
    try:
        for rel, digest in manifest["sha256"].items():
            if _sha256(cache / rel) != digest:
                return None
    except OSError:
        return None
    return CacheInfo(cache, manifest)


def ensure_cache(cache: Path) -> CacheInfo:
    """Return the cached kernel, modules and busybox, downloading them from
    Debian's archive with apt on first use.  Safe against concurrent runs."""
    info = load_cache(cache)
    if info:
        return info
    try:
        cache.mkdir(parents=True, exist_ok=True)
        lockfh = open(cache / ".lock", "w")
    except OSError as exc:
        why = "it is not a folder" if cache.exists() and not cache.is_dir() else exc.strerror
        raise EnvError(f"cannot create the cache {cache}: {why}") from None
    with lockfh:
        fcntl.flock(lockfh, fcntl.LOCK_EX)
        info = load_cache(cache)  # another run may have filled it meanwhile
        if info:
            return info
        return _populate_cache(cache)


def _populate_cache(cache: Path) -> CacheInfo:
    override = os.environ.get("HCABI_NESTED_KERNEL_PACKAGE")
    if override:
        cand = Candidate(override, "", "(HCABI_NESTED_KERNEL_PACKAGE)")
        from_backports = True
    else:
        cands = find_kernel_candidates()
        if not any(c.suite == PREFERRED_SUITE for c in cands) and os.geteuid() == 0:
            _log("no 6.12 kernel in the bookworm-backports index; running apt-get update")
            _run(["apt-get", "update", "-qq"], "apt-get update")
            cands = find_kernel_candidates()
        cand, from_backports = choose_kernel(cands)
    if not from_backports:
        _log(f"bookworm-backports offers no 6.12 kernel; using {cand.package} {cand.version} from {cand.suite}")
    spec = f"{cand.package}={cand.version}" if cand.version else cand.package
    with tempfile.TemporaryDirectory(prefix="populate-", dir=cache) as tmps:
        tmp = Path(tmps)
        _log(f"downloading {spec} ({cand.suite}) and {BUSYBOX_PACKAGE} into {cache}")
        try:
            kdeb = apt_download(spec, tmp)
        except EnvError:
            # a stale index names a version the archive no longer has: refresh once
            if override or os.geteuid() != 0:
                raise
            _log(f"downloading {spec} failed; running apt-get update and choosing again")
            _run(["apt-get", "update", "-qq"], "apt-get update")
            cand, _ = choose_kernel(find_kernel_candidates())
            spec = f"{cand.package}={cand.version}"
            kdeb = apt_download(spec, tmp)
        bdeb = apt_download(BUSYBOX_PACKAGE, tmp)
        kver, bver = deb_field(kdeb, "Version"), deb_field(bdeb, "Version")
        kx, bx = tmp / "kx", tmp / "bx"
        deb_extract(kdeb, kx)
        deb_extract(bdeb, bx)

        # the kernel
        vmlinuz = sorted(kx.glob("boot/vmlinuz-*"))
        configs = sorted(kx.glob("boot/config-*"))
        if len(vmlinuz) != 1 or len(configs) != 1:
            raise EnvError(f"{kdeb.name} does not hold exactly one boot/vmlinuz-* and boot/config-*")
        release = vmlinuz[0].name[len("vmlinuz-") :]
        config = parse_kconfig(configs[0].read_text(errors="replace"))
        for sym in REQUIRED_BUILTIN:
            if config.get(sym) != "y":
                raise EnvError(f"{cand.package} {kver} lacks {sym}=y; the nested launcher needs it")
        moddirs = [d for d in (kx / "lib/modules" / release, kx / "usr/lib/modules" / release) if d.is_dir()]
        if not moddirs:
            raise EnvError(f"{kdeb.name} holds no modules for {release}")
        index: dict[str, Path] = {}
        for p in moddirs[0].rglob("*.ko*"):
            if re.search(r"\.ko(\.xz|\.gz|\.zst)?$", p.name):
                index[_norm(re.sub(r"\.ko(\.xz|\.gz|\.zst)?$", "", p.name))] = p

        def roots_for(features: Sequence[tuple[str, str]], what: str) -> list[str]:
            roots = []
            for sym, mod in features:
                v = config.get(sym)
                if v == "m":
                    roots.append(mod)
                elif v != "y":
                    raise EnvError(f"{cand.package} {kver} lacks {sym} ({what})")
            return roots

        channel_roots = roots_for(CHANNEL_FEATURES, "results channel")
        kvm_roots = {vendor: roots_for(feats, f"KVM on {vendor}") for vendor, feats in KVM_FEATURES.items()}
        depends: dict[str, list[str]] = {}
        blobs: dict[str, bytes] = {}
        todo = channel_roots + [m for r in kvm_roots.values() for m in r]
        while todo:
            m = todo.pop()
            if m in depends:
                continue
            if m not in index:
                raise EnvError(f"module {m} is not in {kdeb.name}")
            blob = decompress_module(index[m])
            try:
                info = modinfo(blob)
            except (ValueError, struct.error) as exc:
                raise EnvError(f"cannot read module {m}: {exc}") from None
            deps = [_norm(d) for d in ",".join(info.get("depends", [])).split(",") if d]
            depends[m] = deps
            blobs[m] = blob
            todo.extend(deps)
        channel_order = module_order(channel_roots, depends)
        kvm_order = {
            vendor: [m for m in module_order(roots, depends) if m not in channel_order]
            for vendor, roots in kvm_roots.items()
        }

        # assemble the new cache entry next to the old one, then switch the manifest
        kdir_rel = f"kernel-{release}-{kver.replace(':', '_').replace('~', '_')}"
        bdir_rel = f"busybox-{bver.replace(':', '_').replace('~', '_')}"
        stage = tmp / "stage"
        (stage / kdir_rel / "modules").mkdir(parents=True)
        (stage / bdir_rel).mkdir(parents=True)
        shutil.copyfile(vmlinuz[0], stage / kdir_rel / "vmlinuz")
        shutil.copyfile(configs[0], stage / kdir_rel / "config")
        for m, blob in blobs.items():
            (stage / kdir_rel / "modules" / f"{m}.ko").write_bytes(blob)
        bb = bx / "bin" / "busybox"
        if not bb.is_file():
            raise EnvError(f"{bdeb.name} holds no bin/busybox")
        with open(bb, "rb") as fh:
            if elf_interpreter(fh.read(1 << 20)) is not None:
                raise EnvError(f"{bdeb.name}'s busybox is not static")
        shutil.copyfile(bb, stage / bdir_rel / "busybox")
        for rel in (kdir_rel, bdir_rel):
            dest = cache / rel
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(stage / rel, dest)
        files = [f"{kdir_rel}/vmlinuz", f"{bdir_rel}/busybox"]
        files += [f"{kdir_rel}/modules/{m}.ko" for m in sorted(blobs)]
        manifest = {
            "format": CACHE_FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "kernel": {
                "package": cand.package,
                "version": kver,
                "suite": cand.suite,
                "release": release,
                "deb_sha256": _sha256(kdeb),
                "vmlinuz": f"{kdir_rel}/vmlinuz",
                "config": f"{kdir_rel}/config",
                "modules_dir": f"{kdir_rel}/modules",
                "channel_modules": channel_order,
                "kvm_modules": kvm_order,
            },
            "busybox": {
                "package": BUSYBOX_PACKAGE,
                "version": bver,
                "deb_sha256": _sha256(bdeb),
                "binary": f"{bdir_rel}/busybox",
            },
            "sha256": {rel: _sha256(cache / rel) for rel in files},
        }
        tmpmf = cache / "manifest.json.tmp"
        tmpmf.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        os.replace(tmpmf, cache / "manifest.json")
    _log(f"cached kernel {release} ({cand.package} {kver}, {cand.suite}) and busybox {bver}")
    info2 = load_cache(cache)
    if info2 is None:
        raise EnvError(f"the cache {cache} failed its own check right after it was written")
    return info2


# ---------------------------------------------------------------------------
# The guest side: /init


def render_init(
    jobs: Sequence[GuestJob],
    channel_modules: Sequence[str],
    kvm_modules: dict[str, list[str]],
    job_timeout: int,
    holder: bool = False,
) -> str:
    """The busybox-sh /init of the nested guest.  With ``holder``, /holder.sh
    runs in the background from before the first job to after the last."""
    q = shlex.quote
    calls = "\n".join(f"run_job {q(j.name)}" for j in jobs)
    if holder and jobs:
        calls = f"start_holder\n{calls}\nstop_holder"
    amd = " ".join(kvm_modules.get("amd", []))
    intel = " ".join(kvm_modules.get("intel", []))
    chan = " ".join(channel_modules)
    return f"""#!/bin/busybox sh
# Generated by scripts/hcabi_nested.py (hcabi-nested) for one run. DO NOT EDIT.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o size=90% tmpfs /tmp

log() {{ echo "hcabi-nested-init: $*"; }}
die() {{
    dmesg | tail -n 15
    log "FATAL: $*"
    [ -n "$port" ] && emit "kvm-fail msg=$(echo "$*" | tr '\\n\\t' '  ')"
    exec 3>&- 2>/dev/null
    sync
    poweroff -f
    sleep 5
    echo o > /proc/sysrq-trigger
}}
emit() {{ printf '@@hcabi-nested %s\\n' "$*" >&3; }}
oneline() {{ tr -c ' -~' ' ' | cut -c1-300; }}  # one line of printable ASCII
send() {{ # NAME KIND FILE
    set -- "$1" "$2" "$3" "$(stat -c %s "$3")" "$(crc32 "$3" | cut -d' ' -f1)"
    emit "data name=$1 kind=$2 size=$4 crc32=$5"
    cat "$3" >&3
    printf '\\n' >&3
}}
uptime_ms() {{ awk '{{ printf "%d", $1 * 1000 }}' /proc/uptime; }}

port=
for m in {chan}; do
    insmod /lib/modules/$m.ko >/dev/null 2>&1
done
for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = {PORT_NAME} ] && port=/dev/${{d##*/}}
done
[ -n "$port" ] && [ -c "$port" ] || die "results channel ({PORT_NAME}) not found"
exec 3>"$port" || die "cannot open $port"
emit "start protocol={PROTOCOL} jobs={len(jobs)}"

if grep -qw svm /proc/cpuinfo; then
    vendor=amd mods="{amd}"
elif grep -qw vmx /proc/cpuinfo; then
    vendor=intel mods="{intel}"
else
    die "the virtual CPU offers neither SVM nor VMX"
fi
for m in $mods; do
    out=$(insmod /lib/modules/$m.ko 2>&1) || case "$out" in
        *"File exists"*) ;;
        *) die "insmod $m failed: $out" ;;
    esac
done
[ -c /dev/kvm ] || die "/dev/kvm did not appear after loading: $mods"
emit "kvm ok vendor=$vendor"
log "KVM is up ($vendor: $mods); running {len(jobs)} job(s)"

run_job() {{ # NAME
    name=$1
    emit "job-start name=$name"
    log "job $name: start"
    mkdir -p "/tmp/work/$name"
    rm -f /tmp/killed
    t0=$(uptime_ms)
    (cd "/tmp/work/$name" && exec sh "/jobs/$name.sh") </dev/null >/tmp/out.serial 2>/tmp/out.stderr &
    pid=$!
    (sleep {job_timeout}; kill -KILL $pid 2>/dev/null && : >/tmp/killed) </dev/null >/dev/null 2>&1 &
    wd=$!
    wait $pid
    st=$?
    kill $wd 2>/dev/null
    wait $wd 2>/dev/null
    killed=0
    [ -e /tmp/killed ] && killed=1
    ms=$(( $(uptime_ms) - t0 ))
    log "job $name: status $st after $ms ms (killed=$killed)"
    send "$name" serial /tmp/out.serial
    send "$name" stderr /tmp/out.stderr
    emit "status name=$name status=$st elapsed_ms=$ms killed=$killed"
    rm -rf /tmp/out.serial /tmp/out.stderr "/tmp/work/$name"
}}

{render_holder_functions()}
{calls}

emit "done"
exec 3>&-
log "all jobs done; powering off"
sync
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
"""


def render_holder_functions(
    ready_timeout: int = HOLDER_READY_TIMEOUT,
    stop_timeout: int = HOLDER_STOP_TIMEOUT,
    workdir: str = "/tmp/holder",
    script: str = "/holder.sh",
) -> str:
    """The guest's start_holder and stop_holder shell functions (they use the
    init's log, emit and oneline).  The holder runs ``script`` in
    ``workdir``, its output going to ``workdir``/out; start_holder returns
    once that has a line with HOLDER_READY_WORD, or the holder ended, or
    ``ready_timeout`` s passed (then it is killed): the jobs run either way."""
    return f"""holder_pid=
holder_dir={shlex.quote(workdir)}
alive() {{ kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }}
start_holder() {{ # the holder in the background; wait for its ready line
    mkdir -p "$holder_dir"
    (cd "$holder_dir" && exec sh {shlex.quote(script)}) </dev/null >"$holder_dir/out" 2>&1 &
    holder_pid=$!
    log "holder: started (pid $holder_pid)"
    i=0
    while :; do
        ready=$(grep -m1 -F {HOLDER_READY_WORD} "$holder_dir/out")
        if [ -n "$ready" ]; then
            log "holder: $ready"
            emit "holder state=up msg=$(echo "$ready" | oneline)"
            return
        fi
        if ! alive $holder_pid; then
            wait $holder_pid
            st=$?
            sed 's/^/hcabi-nested-init: holder: /' "$holder_dir/out"
            emit "holder state=failed msg=it ended with status $st before it was ready: $(tail -n 3 "$holder_dir/out" | oneline)"
            holder_pid=
            return
        fi
        i=$((i + 1))
        if [ $i -ge {ready_timeout * 10} ]; then
            kill -KILL $holder_pid 2>/dev/null
            wait $holder_pid 2>/dev/null
            sed 's/^/hcabi-nested-init: holder: /' "$holder_dir/out"
            emit "holder state=failed msg=no {HOLDER_READY_WORD} line after {ready_timeout} s: $(tail -n 3 "$holder_dir/out" | oneline)"
            holder_pid=
            return
        fi
        sleep 0.1
    done
}}
stop_holder() {{ # SIGTERM, then SIGKILL after {stop_timeout} s
    [ -n "$holder_pid" ] || return 0
    if ! alive $holder_pid; then
        wait $holder_pid
        st=$?
        emit "holder state=lost msg=it ended with status $st during the batch: $(tail -n 3 "$holder_dir/out" | oneline)"
    else
        kill -TERM $holder_pid 2>/dev/null
        (sleep {stop_timeout}; kill -KILL $holder_pid 2>/dev/null) </dev/null >/dev/null 2>&1 &
        wd=$!
        wait $holder_pid
        st=$?
        kill $wd 2>/dev/null
        wait $wd 2>/dev/null
        emit "holder state=stopped msg=status $st: $(tail -n 1 "$holder_dir/out" | oneline)"
    fi
    sed 's/^/hcabi-nested-init: holder: /' "$holder_dir/out" | tail -n 20
    holder_pid=
}}
"""


def render_job_script(job: GuestJob) -> str:
    return "#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in job.argv) + "\n"


def build_initramfs(
    cache: CacheInfo, jobs: Sequence[GuestJob], plan: FilePlan, job_timeout: int, holder: Optional[GuestJob] = None
) -> bytes:
    cpio = CpioWriter()
    for d in ("bin", "dev", "proc", "sys", "tmp", "root", "jobs", "files", "lib/modules"):
        cpio.mkdir(d)
    cpio.add_chardev("dev/console", 5, 1)
    cpio.add_chardev("dev/null", 1, 3, 0o666)
    cpio.add_file("bin/busybox", cache.busybox.read_bytes(), 0o755)
    cpio.add_symlink("bin/sh", "busybox")
    kmeta = cache.manifest["kernel"]
    mods = list(kmeta["channel_modules"]) + [m for ms in kmeta["kvm_modules"].values() for m in ms]
    for m in dict.fromkeys(mods):
        cpio.add_file(f"lib/modules/{m}.ko", cache.module_path(m).read_bytes())
    for host, guest in plan.files.items():
        try:
            data = Path(host).read_bytes()
            mode = 0o755 if host in plan.executables else (os.stat(host).st_mode & 0o777) | 0o444
        except OSError as exc:
            raise EnvError(f"cannot read {host}: {exc.strerror}") from None
        cpio.add_file(guest, data, mode)
    for j in jobs:
        cpio.add_file(f"jobs/{j.name}.sh", render_job_script(j).encode(), 0o755)
    if holder is not None:
        cpio.add_file("holder.sh", render_job_script(holder).encode(), 0o755)
    init = render_init(jobs, kmeta["channel_modules"], kmeta["kvm_modules"], job_timeout, holder is not None)
    cpio.add_file("init", init.encode(), 0o755)
    return cpio.finish()


# ---------------------------------------------------------------------------
# The host side: decoding the results stream


@dataclasses.dataclass
class JobResult:
    name: str
    serial: bytes
    stderr: bytes
    status: int
    elapsed_ms: int
    killed: bool


@dataclasses.dataclass
class Event:
    kind: str  # start, kvm-ok, kvm-fail, holder-STATE, job-start, result, done, problem
    text: str = ""
    result: Optional[JobResult] = None


_KV_RE = re.compile(r"^[a-z0-9_]+=\S*$")


def _fields(words: Sequence[str]) -> dict[str, str]:
    out = {}
    for w in words:
        if not _KV_RE.match(w):
            raise ValueError(f"bad field {w!r}")
        k, v = w.split("=", 1)
        out[k] = v
    return out


class ResultDecoder:
    """Incremental decoder of the guest's results stream.

    ``feed()`` bytes as they arrive and collect the events; ``finish()`` at the
    end reports anything left incomplete.  Damage never raises: it yields a
    ``problem`` event, the job it hit is not completed, and decoding resumes at
    the next record.
    """

    MAX_HEADER = 4096

    def __init__(self) -> None:
        self.buf = bytearray()
        self.offset = 0  # stream offset of buf[0]
        self.current: Optional[str] = None  # job whose records are arriving
        self.parts: dict[str, bytes] = {}
        self.damaged = False  # the current job lost a record
        self.done = False
        self.started = False
        self.garbage = False  # inside a damaged stretch already reported

    def _problem(self, msg: str) -> Event:
        return Event("problem", f"results stream offset {self.offset}: {msg}")

    def _resync(self, events: list[Event], msg: str) -> None:
        """Drop bytes up to the next record header (one problem per damaged stretch)."""
        if not self.garbage:
            events.append(self._problem(msg))
            self.garbage = True
        if self.current:
            self.damaged = True
        nxt = self.buf.find(MAGIC, 1)
        if nxt > 0:
            drop = nxt
        else:  # keep the longest tail that may be the start of a header
            keep = 0
            for k in range(min(len(MAGIC) - 1, len(self.buf) - 1), 0, -1):
                if self.buf.endswith(MAGIC[:k]):
                    keep = k
                    break
            drop = len(self.buf) - keep
        del self.buf[:drop]
        self.offset += drop

    def feed(self, data: bytes) -> list[Event]:
        self.buf += data
        events: list[Event] = []
        while self.buf:
            if not self.buf.startswith(MAGIC[: min(len(self.buf), len(MAGIC))]):
                self._resync(events, "garbage where a record should start")
                continue
            nl = self.buf.find(b"\n")
            if nl < 0:
                if len(self.buf) > self.MAX_HEADER:
                    self._resync(events, "record header too long")
                    continue
                break  # wait for the rest of the line
            try:
                line = bytes(self.buf[len(MAGIC) : nl]).decode("ascii")
            except UnicodeDecodeError:
                self._resync(events, "non-ASCII record header")
                continue
            words = line.split(" ")
            kind = words[0]
            if kind == "data":
                try:
                    f = _fields(words[1:])
                    name, part, size, crc = f["name"], f["kind"], int(f["size"]), int(f["crc32"], 16)
                    if size < 0 or part not in ("serial", "stderr"):
                        raise ValueError("bad size or kind")
                except (ValueError, KeyError) as exc:
                    self._resync(events, f"bad data header {line!r}: {exc}")
                    continue
                self.garbage = False
                end = nl + 1 + size
                if len(self.buf) < end + 1:
                    break  # payload not complete yet
                payload = bytes(self.buf[nl + 1 : end])
                if self.buf[end : end + 1] != b"\n":
                    self._resync(events, f"data of job {name} ({part}) is not followed by a newline")
                    continue
                consumed = end + 1
                if name != self.current:
                    events.append(self._problem(f"data for job {name} while job {self.current} runs"))
                    self.damaged = True
                elif zlib.crc32(payload) != crc:
                    events.append(self._problem(f"job {name}: {part} failed its CRC check ({size} bytes)"))
                    self.damaged = True
                else:
                    self.parts[part] = payload
                del self.buf[:consumed]
                self.offset += consumed
                continue
            consumed = nl + 1
            del self.buf[:consumed]
            self.offset += consumed
            self.garbage = False
            try:
                if kind == "start":
                    f = _fields(words[1:])
                    if f.get("protocol") != str(PROTOCOL):
                        events.append(Event("problem", f"guest speaks protocol {f.get('protocol')}, expected {PROTOCOL}"))
                    self.started = True
                    events.append(Event("start", f.get("jobs", "")))
                elif kind == "kvm" and words[1:2] == ["ok"]:
                    events.append(Event("kvm-ok", " ".join(words[2:])))
                elif kind == "kvm-fail":
                    msg = line.split("msg=", 1)[1] if "msg=" in line else line
                    events.append(Event("kvm-fail", msg.strip()))
                elif kind == "holder":
                    state = _fields(words[1:2]).get("state", "")
                    if state not in HOLDER_STATES:
                        raise ValueError(f"unknown holder state {state!r}")
                    msg = line.split(" msg=", 1)[1] if " msg=" in line else ""
                    events.append(Event(f"holder-{state}", msg.strip()))
                elif kind == "job-start":
                    f = _fields(words[1:])
                    self.current, self.parts, self.damaged = f["name"], {}, False
                    events.append(Event("job-start", f["name"]))
                elif kind == "status":
                    f = _fields(words[1:])
                    name = f["name"]
                    status = int(f["status"])
                    if name != self.current:
                        events.append(self._problem(f"status for job {name} while job {self.current} runs"))
                    elif self.damaged or set(self.parts) != {"serial", "stderr"}:
                        missing = sorted({"serial", "stderr"} - set(self.parts))
                        why = "damaged" if self.damaged else f"missing {', '.join(missing)}"
                        events.append(Event("problem", f"job {name}: results {why}; not counted as completed"))
                    else:
                        result = JobResult(
                            name=name,
                            serial=self.parts["serial"],
                            stderr=self.parts["stderr"],
                            status=status,
                            elapsed_ms=int(f.get("elapsed_ms", "0")),
                            killed=f.get("killed") == "1",
                        )
                        events.append(Event("result", name, result))
                    self.current, self.parts, self.damaged = None, {}, False
                elif kind == "done":
                    self.done = True
                    events.append(Event("done"))
                else:
                    events.append(self._problem(f"unknown record {line!r}"))
            except (ValueError, KeyError, IndexError) as exc:
                events.append(self._problem(f"bad record {line!r}: {exc}"))
                if self.current:
                    self.damaged = True
        return events

    def finish(self) -> list[Event]:
        events: list[Event] = []
        if self.buf:
            events.append(self._problem(f"stream ends inside a record ({len(self.buf)} bytes left over)"))
            self.buf.clear()
        if self.current and not self.done:
            events.append(Event("problem", f"job {self.current} did not finish"))
        return events


def decode_results(data: bytes) -> list[Event]:
    d = ResultDecoder()
    return d.feed(data) + d.finish()


# ---------------------------------------------------------------------------
# Running the VM


def qemu_command(
    qemu: str, kernel: Path, initrd: Path, console_log: Path, results: Path, memory_mib: int, smp: int
) -> list[str]:
    # One TCG thread for all vCPUs: multi-threaded TCG's emulation of nested
    # SVM races here (kernel text-patching int3 oopses, guest triple faults
    # near vCPU starts); single-threaded runs showed none at about the same
    # speed on these 2-core machines.
    return [
        qemu,
        "-accel", "tcg,thread=single",
        "-cpu", "max",
        "-smp", str(smp),
        "-m", str(memory_mib),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-kernel", str(kernel),
        "-initrd", str(initrd),
        "-append", "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off no_timer_check",
        "-chardev", f"file,id=con,path={console_log}",
        "-serial", "chardev:con",
        "-chardev", f"file,id=res,path={results}",
        "-device", "virtio-serial-pci,id=vser",
        "-device", f"virtserialport,bus=vser.0,chardev=res,name={PORT_NAME}",
    ]  # fmt: skip


def _pdeathsig() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.replace("\r", "").splitlines()[-lines:])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_result(out: Path, r: JobResult, job_timeout: int) -> None:
    """NAME.serial and NAME.stderr first, NAME.status last, so a .status file
    means the other two are complete.  A job killed by the per-job limit gets
    no .status (it did not finish)."""
    stderr = r.stderr
    if r.killed:
        stderr += f"\n{PROG}: killed after {job_timeout} s (--job-timeout)\n".encode()
    _write_atomic(out / f"{r.name}.serial", r.serial)
    _write_atomic(out / f"{r.name}.stderr", stderr)
    if not r.killed:
        _write_atomic(out / f"{r.name}.status", f"{r.status}\n".encode())


def _say(msg: str) -> None:
    print(f"{PROG}: {msg}", flush=True)


def _warn(msg: str) -> None:
    print(f"{PROG}: warning: {msg}", file=sys.stderr, flush=True)


def run_batch(args: argparse.Namespace, jobs: list[Job]) -> int:
    out = Path(args.out)
    guest_jobs, plan = rewrite_args(jobs)
    check_programs(plan)
    holder_argv: Optional[tuple[str, ...]] = getattr(args, "holder_argv", None)
    guest_holder: Optional[GuestJob] = None
    if holder_argv and jobs:
        why = holder_problem(holder_argv)
        if why:
            _warn(f"the holder cannot run in the nested VM: {why}; running the jobs without it")
        else:
            guest_holder = rewrite_holder(holder_argv, plan)
    qemu = shutil.which(os.environ.get("HCABI_NESTED_QEMU", "qemu-system-x86_64"))
    if not qemu:
        raise EnvError("qemu-system-x86_64 not found; install qemu-system-x86 (scripts/setup-debian.sh)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for j in jobs:  # results of an earlier run must not pass for this one's
            for ext in ("status", "serial", "stderr"):
                (out / f"{j.name}.{ext}").unlink(missing_ok=True)
    except OSError as exc:
        raise EnvError(f"cannot prepare {out}: {exc.strerror}") from None

    cache = ensure_cache(Path(args.cache))
    job_timeout = max(1, int(min(args.job_timeout, args.timeout)))
    console_log = out / "hcabi-nested.log"
    with tempfile.TemporaryDirectory(prefix="hcabi-nested-") as tmps:
        tmp = Path(tmps)
        initrd, results = tmp / "initrd.cpio", tmp / "results.bin"
        try:
            initrd.write_bytes(build_initramfs(cache, guest_jobs, plan, job_timeout, guest_holder))
        except OSError as exc:
            raise EnvError(f"cannot build the initramfs: {exc.filename}: {exc.strerror}") from None
        results.touch()
        cmd = qemu_command(qemu, cache.kernel, initrd, console_log, results, args.memory, DEFAULT_SMP)
        with_holder = f" with holder {shlex.join(holder_argv)}" if guest_holder and holder_argv else ""
        _say(f"booting kernel {cache.release} under TCG for {len(jobs)} job(s){with_holder}")
        t0 = time.monotonic()
        qerr = open(tmp / "qemu.stderr", "w+b")
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=qerr, stderr=qerr, preexec_fn=_pdeathsig
            )
        except OSError as exc:
            raise EnvError(f"cannot start {qemu}: {exc.strerror}") from None
        decoder = ResultDecoder()
        completed: dict[str, JobResult] = {}
        problems: list[str] = []
        kvm_fail: Optional[str] = None
        kvm_up_at: Optional[float] = None
        running: Optional[str] = None
        timed_out = False
        done_at: Optional[float] = None
        holder_state = "none" if guest_holder is None else "not started"

        def handle(events: list[Event]) -> None:
            nonlocal kvm_fail, kvm_up_at, running, done_at, holder_state
            for ev in events:
                now = time.monotonic() - t0
                if ev.kind == "kvm-ok":
                    kvm_up_at = now
                    _say(f"KVM is up inside after {now:.1f} s ({ev.text})")
                elif ev.kind == "kvm-fail":
                    kvm_fail = ev.text
                elif ev.kind == "holder-up":
                    holder_state = "up"
                    _say(f"holder is up after {now:.1f} s ({ev.text})")
                elif ev.kind == "holder-failed":
                    holder_state = "failed"
                    _warn(f"the holder did not come up: {ev.text}; running the jobs without it (see {console_log})")
                elif ev.kind == "holder-lost":
                    holder_state = "lost"
                    _warn(f"the holder ended before the last job: {ev.text} (see {console_log})")
                elif ev.kind == "holder-stopped":
                    holder_state = "stopped" if holder_state == "up" else holder_state
                elif ev.kind == "job-start":
                    running = ev.text
                elif ev.kind == "result" and ev.result:
                    r = ev.result
                    if r.name not in {j.name for j in jobs} or r.name in completed:
                        problems.append(f"unexpected result for job {r.name}")
                        continue
                    write_result(out, r, job_timeout)
                    completed[r.name] = r
                    running = None
                    extra = " KILLED by --job-timeout" if r.killed else ""
                    _say(f"{r.name}: status {r.status} ({r.elapsed_ms / 1000:.1f} s){extra}")
                elif ev.kind == "done":
                    done_at = time.monotonic()
                elif ev.kind == "problem":
                    problems.append(ev.text)
                    _say(f"warning: {ev.text}")

        try:
            with open(results, "rb") as rf:
                while True:
                    handle(decoder.feed(rf.read()))
                    if proc.poll() is not None:
                        handle(decoder.feed(rf.read()))
                        break
                    now = time.monotonic()
                    if now - t0 > args.timeout:
                        timed_out = True
                        break
                    if done_at is not None and now - done_at > POWEROFF_GRACE:
                        break
                    time.sleep(0.05)
                handle(decoder.finish())
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        elapsed = time.monotonic() - t0
        qerr.seek(0)
        qemu_stderr = qerr.read().decode("utf-8", "replace").strip()
        qerr.close()

    boot = f", KVM up after {kvm_up_at:.1f} s" if kvm_up_at is not None else ""
    killed = [n for n, r in completed.items() if r.killed]
    missing = [j.name for j in jobs if j.name not in completed]
    if kvm_fail is None and not missing and not killed and decoder.done:
        held = {"stopped": ", holder held KVM throughout", "failed": ", WITHOUT the holder (it failed)",
                "lost": ", holder LOST during the batch"}.get(holder_state, "")  # fmt: skip
        _say(f"{len(jobs)} job(s) ran in {elapsed:.1f} s{boot}{held}; results in {out}")
        return EXIT_OK

    # Something went wrong in the environment: say what, clearly.
    if kvm_fail is not None:
        reason = f"KVM could not be brought up inside the nested VM: {kvm_fail}"
    elif timed_out:
        where = f" while job {running} ran" if running else ""
        reason = f"the nested VM exceeded --timeout {args.timeout:g} s{where}"
    elif killed:
        reason = f"job(s) {', '.join(killed)} exceeded --job-timeout {job_timeout} s"
    elif not decoder.started:
        reason = f"the nested VM ended (QEMU exit status {proc.returncode}) before its init started"
    elif missing:
        where = f" during job {running}" if running else ""
        reason = f"the nested VM ended (QEMU exit status {proc.returncode}){where} before finishing"
    else:
        reason = "the results stream was incomplete"
    print(f"{PROG}: error: {reason}; {len(completed) - len(killed)} of {len(jobs)} job(s) completed", file=sys.stderr)
    if missing:
        print(f"{PROG}: no results for: {', '.join(missing)}", file=sys.stderr)
    for p in problems[:10]:
        print(f"{PROG}: {p}", file=sys.stderr)
    if guest_holder is not None and holder_state not in ("up", "stopped"):
        print(f"{PROG}: holder: {holder_state}", file=sys.stderr)
    if qemu_stderr and not timed_out and done_at is None:
        print(f"{PROG}: QEMU said: {qemu_stderr.splitlines()[-1]}", file=sys.stderr)
    tail = _tail(console_log)
    if tail:
        print(f"{PROG}: last lines of {console_log}:", file=sys.stderr)
        print("\n".join("    " + ln for ln in tail.splitlines()), file=sys.stderr)
    return EXIT_ENV


# ---------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see --help)")


def _positive(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < v < 1e9:  # also NaN and inf, which no timer takes
        raise argparse.ArgumentTypeError(f"must be positive and below 1e9: {value!r}")
    return v


def _memory(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of MiB: {value!r}") from None
    if not 256 <= v <= 1 << 20:
        raise argparse.ArgumentTypeError(f"{value}: from 256 to 1048576 MiB")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Run a batch of static programs (normally hcabi-refvmm) under KVM inside one nested "
        "QEMU/TCG boot of a Debian 6.12 kernel, for hosts without a usable /dev/kvm.",
        epilog="JOBFILE: one job per line, NAME<TAB>ARGS; ARGS are split like shell words; an argument naming "
        "an existing host file is copied into the guest and replaced by its guest path. For each job: "
        "OUT/NAME.serial (the program's stdout), OUT/NAME.stderr, OUT/NAME.status (exit status). "
        "OUT/hcabi-nested.log keeps the guest console. Exit status: 0 every job ran, 2 usage, 4 environment failure. "
        "Environment: HCABI_NESTED_QEMU (QEMU binary), HCABI_NESTED_KERNEL_PACKAGE (kernel package to use), "
        f"{HOLDER_ENV} (default of --holder).",
    )
    p.add_argument("--cache", default=str(DEFAULT_CACHE), metavar="DIR", help="download cache (default: %(default)s)")
    p.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="wall-clock limit for the whole boot and every job (default: %(default)g)",
    )
    p.add_argument(
        "--job-timeout",
        type=_positive,
        default=DEFAULT_JOB_TIMEOUT,
        metavar="SECONDS",
        help="limit for each job inside the guest; a job killed by it gets no .status (default: %(default)g)",
    )
    p.add_argument(
        "--memory", type=_memory, default=DEFAULT_MEMORY_MIB, metavar="MIB", help="RAM of the nested VM (default: %(default)s)"
    )
    p.add_argument(
        "--holder",
        metavar="'PROGRAM [ARGS]'",
        help="a static program, split like a job's ARGS, that runs in the background from before the first job to "
        "after the last and keeps a KVM VM alive (normally 'hcabi-nested-probe --hold'), so that the nested kernel "
        f"does not patch its static keys between jobs; '' for none (default: ${HOLDER_ENV}, else none)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the results")
    p.add_argument("jobfile", metavar="JOBFILE", help="the jobs ('-' reads standard input)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise UsageError(f"--out {args.out}: not a folder")
        source = "<stdin>" if args.jobfile == "-" else args.jobfile
        try:
            text = hl.read_text(Path("/dev/stdin" if args.jobfile == "-" else args.jobfile), f"JOBFILE {source}")
        except hl.InputError as exc:
            raise UsageError(str(exc)) from None
        jobs = parse_jobfile(text, source)
        if args.holder is not None:
            args.holder_argv = parse_holder(args.holder, "--holder")
        else:
            args.holder_argv = parse_holder(os.environ.get(HOLDER_ENV), HOLDER_ENV)
        return run_batch(args, jobs)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EnvError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ENV
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(hl.run_main(PROG, main))
