"""Debian packages: version order, the kernel's choice, apt downloads, dpkg
extraction, and the modules a kernel package holds."""

from __future__ import annotations

import dataclasses
import gzip
import lzma
import re
import subprocess
from pathlib import Path
from typing import Iterable, Optional, Sequence

from hcabi_conform.errors import EnvError

from .arch import X86_64, Arch

BUSYBOX_PACKAGE = "busybox-static"


class AptError(EnvError):
    """apt could not give a package: the archive unreachable, or no such package
    or version in its index.  Nested tests that may skip for that catch it."""


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


def choose_kernel(cands: Iterable[Candidate], arch: Arch = X86_64) -> tuple[Candidate, bool]:
    """The newest generic 6.12 kernel of ``arch``, from its kernel_suites
    (bookworm-backports for x86-64 and arm64) if they have one (second value
    True), else from any suite (False).  At equal versions the signed package
    wins over the -unsigned one.  Deterministic."""
    usable = [c for c in cands if arch.kernel_package_re.match(c.package)]
    if not usable:
        if arch.apt_sources:  # a private apt with its own sources: nothing to add
            raise AptError(f"Debian's {'/'.join(arch.kernel_suites)} index has no {arch.kernel_hint} package")
        raise AptError(
            f"apt knows no {arch.kernel_hint} package; add bookworm-backports to the apt sources "
            "and run apt-get update (scripts/setup-debian.sh does both)"
        )
    preferred = [c for c in usable if c.suite in arch.kernel_suites]
    pool = preferred or usable

    def key(c: Candidate) -> tuple:
        return (c.version, 0 if c.package.endswith("-unsigned") else 1, c.package)

    best = pool[0]
    for c in pool[1:]:
        cmp = compare_debian_versions(c.version, best.version)
        if cmp > 0 or (cmp == 0 and key(c)[1:] > key(best)[1:]):
            best = c
    return best, bool(preferred)


def run_tool(cmd: Sequence[str], what: str, cwd: Optional[Path] = None) -> str:
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
        raise (AptError if Path(cmd[0]).name.startswith("apt") else EnvError)(f"{what} failed: {detail}")
    return proc.stdout


def find_kernel_candidates(arch: Arch = X86_64, apt_opts: Sequence[str] = ()) -> list[Candidate]:
    """``apt_opts`` go before each apt command (a private apt's ``-c CONF``)."""
    listed = run_tool(["apt-cache", *apt_opts, "pkgnames", "linux-image-6.12."], "apt-cache pkgnames").split()
    names = [n for n in listed if arch.kernel_package_re.match(n)]
    if not names:
        return []
    return parse_madison(run_tool(["apt-cache", *apt_opts, "madison", *sorted(names)], "apt-cache madison"))


def apt_download(spec: str, into: Path, apt_opts: Sequence[str] = ()) -> Path:
    """``apt-get download`` one package (verified against the signed archive
    index by apt) into ``into``; return the .deb path."""
    before = set(into.glob("*.deb"))
    cmd = ["apt-get", *apt_opts, "download", "-q", "-o", "APT::Sandbox::User=root", spec]
    run_tool(cmd, f"apt-get download {spec}", cwd=into)
    new = sorted(set(into.glob("*.deb")) - before)
    if len(new) != 1:
        raise EnvError(f"apt-get download {spec} did not produce exactly one .deb")
    return new[0]


def deb_field(deb: Path, field: str) -> str:
    return run_tool(["dpkg-deb", "-f", str(deb), field], "dpkg-deb -f").strip()


def deb_extract(deb: Path, into: Path) -> None:
    run_tool(["dpkg-deb", "-x", str(deb), str(into)], f"dpkg-deb -x {deb.name}")


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


def norm_module_name(name: str) -> str:
    return name.replace("-", "_")


