"""Console data paths: compare what reached the hypervisor's console with
what the guest announced (docs/internals.md, "Console data paths").

A test announces a region with `console-expect label=L len=N sha256=H how=..
req=ID`, writes the stream L (evidence.console_bytes, derived from the boot's
key) through CONSOLE, writes one newline through COM1 and closes with
`console-end label=L`. On the serial log the payload is the raw bytes between
the two lines minus that newline. With `{console}` (--target cmd) the VMM
writes CONSOLE output to its own file instead: there each announced stream
must appear in that file, in announcement order (bytes the guest writes
between regions may separate them), and a `rejected` region (nothing may be
written) cannot be checked.

A mismatch names the request's requirement (`req=`) and where the bytes first
differ; the caller adds it to the test's failed checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .evidence import console_bytes
from .protocol import Text, printable

SHOW = 24  # bytes shown on each side of a difference
SLACK = 64 * 1024  # bytes kept past the announced length (to say "extra")


@dataclass
class ConsoleRegion:
    """One announced region and, on the serial log, what arrived in it."""

    test: str
    label: str
    length: int
    sha256: str
    how: str
    req: str
    lineno: int
    on_serial: bool = True
    lines: list[bytes] = field(default_factory=list)
    kept: int = 0
    overflow: bool = False
    closed: bool = False
    interrupted: str = ""
    own_line: bool = False  # the interrupting line is the image's own (a bug of the test, not of the VMM)

    def take(self, item: Text) -> None:
        """One serial line inside the region (bounded: a flood is kept only
        up to the announced length plus SLACK)."""
        if not self.on_serial:
            return
        if self.kept > self.length + SLACK or item.truncated:
            self.overflow = True
            return
        self.lines.append(item.raw)
        self.kept += len(item.raw) + 1

    def arrived(self) -> bytes:
        """The payload: the region's bytes less the newline before console-end."""
        return b"\n".join(self.lines)

    def what(self) -> str:
        how = {"write": "one WRITE", "pieces": "WRITEs in pieces", "bytes": "WRITE_BYTE per byte", "rejected": "only rejected calls"}
        return f"console region {self.label} ({self.length} bytes announced, {how.get(self.how, self.how)})"


def _show(data: bytes, at: int) -> str:
    return repr(printable(data[at : at + SHOW], SHOW * 4)) if at < len(data) else "(nothing)"


def compare(want: bytes, got: bytes) -> Optional[str]:
    """Why `got` is not `want`, with where they first differ, or None."""
    if got == want:
        return None
    common = min(len(want), len(got))
    first = next((i for i in range(common) if want[i] != got[i]), common)
    if first == len(want):
        return f"the {len(want)} bytes arrived, then {len(got) - len(want)} extra byte(s): {_show(got, first)}"
    if first == len(got):
        return f"only {len(got)} of {len(want)} bytes arrived (the rest is missing: {_show(want, first)} expected next)"
    return f"{len(got)} bytes arrived; they first differ at byte {first}: expected {_show(want, first)}, got {_show(got, first)}"


def _expected(region: ConsoleRegion, k: bytes) -> tuple[Optional[bytes], Optional[str]]:
    want = console_bytes(k, region.label, region.length)
    if hashlib.sha256(want).hexdigest() != region.sha256:
        return None, f"error: {region.what()}: the image and the runner derive different bytes (sha256 differs): rebuild both from one tree"
    return want, None


def judge_serial(region: ConsoleRegion, k: bytes) -> Optional[str]:
    """Why a serial region's bytes are not the announced ones, or None. An
    `error: ` prefix marks a problem of the suite, not of the VMM."""
    want, err = _expected(region, k)
    if want is None:
        return err
    if region.interrupted and region.own_line:
        return f"error: {region.what()}: the image wrote a protocol line ({region.interrupted}) inside the region: the test is broken"
    if region.interrupted:
        return f"{region.what()}: {region.interrupted} before console-end; the payload did not arrive intact"
    if not region.closed:
        return f"{region.what()}: no console-end line followed (the test did not finish the region)"
    if region.overflow:
        return f"{region.what()}: more than {region.length + SLACK} bytes, or a line of over 16 KiB, arrived"
    why = compare(want, region.arrived())
    return f"{region.what()} on the VMM's console: {why}" if why else None


def judge_file(regions: list[ConsoleRegion], k: bytes, path: Path, limit: int) -> list[Optional[str]]:
    """{console} mode: each announced stream must appear in the console file
    (at most `limit` bytes read), in order."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
    except OSError as exc:
        why = f"the VMM wrote no console file {path} ({exc.strerror or exc})"
        return [f"{r.what()}: {why}" for r in regions]
    cursor = 0
    out: list[Optional[str]] = []
    for region in regions:
        want, err = _expected(region, k)
        if want is None:
            out.append(err)
            continue
        at = data.find(want, cursor)
        if at >= 0:
            cursor = at + len(want)
            out.append(None)
            continue
        # the longest prefix of the stream that is there, to say where it breaks
        lo, hi = 0, len(want)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if data.find(want[:mid], cursor) >= 0:
                lo = mid
            else:
                hi = mid - 1
        where = f"at most its first {lo} byte(s) appear (expected next: {_show(want, lo)})" if lo else f"not even its first byte {_show(want, 0)} appears"
        out.append(f"{region.what()}: not found in console file {path.name} after offset {cursor}: {where}")
    return out
