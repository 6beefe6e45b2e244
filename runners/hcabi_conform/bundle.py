"""Bundles: a report together with the serial logs it was made from.

A report alone can be rewritten consistently (a failure turned into a pass in
its raw and derived fields alike): nothing in it ties it to a boot. A bundle
(`hcabi-conform bundle`) is one .tar.gz with the report, every boot's serial
log and stderr, optional JUnit/HTML, and MANIFEST.json listing every member's
sha256 and the sha256 of each image booted. `gate --bundle` unpacks it safely,
checks every member against MANIFEST.json and the report's per-boot evidence
hashes, and re-parses every serial log with boot.interpret_boot (the function
`run` used): any result, discovery line or problem that differs from what the
report stores rejects the bundle, naming the test, the field and the log.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import strictjson
from .errors import EnvError
from .report import LoadedReport, ReportError, load_report

BUNDLE_FORMAT = "hcabi-conform-bundle"
BUNDLE_FORMAT_VERSION = 1
MANIFEST_NAME = "MANIFEST.json"
REPORT_NAME = "report.json"
MAX_BUNDLE_BYTES = 256 << 20  # compressed
MAX_MEMBER_BYTES = 64 << 20  # a serial log is capped far below this by the runner
MAX_TOTAL_BYTES = 1 << 30
MAX_MEMBERS = 4096
_MEMBER_RE = re.compile(r"^(logs/)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> Optional[str]:
    """sha256 of a file, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


# -- making a bundle ---------------------------------------------------------------


def _log_path(report: Path, recorded: str) -> Path:
    """A log path as the report recorded it (relative to where `run` ran), or
    next to the report when the run directory was moved."""
    path = Path(recorded)
    if path.is_file() or path.is_absolute():
        return path
    return report.parent / path.name


def _read_input(path: Path, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_MEMBER_BYTES:
            raise EnvError(f"{what} {path} is too large for a bundle ({size} bytes; the limit is {MAX_MEMBER_BYTES})")
        return path.read_bytes()
    except FileNotFoundError:
        raise EnvError(f"{what} {path} not found") from None
    except OSError as exc:
        raise EnvError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def make_bundle(report_path: Path, out: Path, junit: Optional[Path], html: Optional[Path], images_dir: Optional[Path]) -> dict[str, Any]:
    """Write the bundle of `report_path` to `out`; return its MANIFEST."""
    rep = load_report(report_path)
    members: dict[str, bytes] = {REPORT_NAME: _read_input(report_path, "report")}
    inputs = [report_path]
    boots: dict[str, dict[str, Optional[str]]] = {}
    images: dict[str, Optional[str]] = {}
    for boot in rep.boots:
        entry: dict[str, Optional[str]] = {}
        for kind in ("serial", "stderr"):
            recorded = boot.logs.get(kind)
            entry[kind] = None
            if not recorded:
                continue
            path = _log_path(report_path, recorded)
            if kind == "stderr" and not path.exists():
                continue  # a VMM that printed nothing may leave no stderr file
            data = _read_input(path, f"the {kind} log of boot {boot.image}")
            want = boot.evidence.get(f"{kind}_sha256")
            if want is not None and want != sha256_bytes(data):
                raise EnvError(f"the {kind} log {path} of boot {boot.image} has sha256 {sha256_bytes(data)}, but the report's evidence says {want}: it is not the log the report was made from")
            name = f"logs/{boot.image}.{kind}"
            members[name] = data
            entry[kind] = name
            inputs.append(path)
        boots[boot.image] = entry
        image_sha = boot.evidence.get("image_sha256")
        if image_sha is None and images_dir is not None and boot.file:
            image_sha = sha256_path(images_dir / boot.file)
        images[boot.image] = image_sha
    for option, path, name in (("--junit", junit, "report.xml"), ("--html", html, "report.html")):
        if path is not None:
            members[name] = _read_input(path, f"{option} file")
            inputs.append(path)
    for path in inputs:
        if _same_file(out, path):
            raise EnvError(f"--out {out} is one of the bundle's inputs ({path}); refusing to overwrite it")
    manifest = {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "report": REPORT_NAME,
        "members": {name: {"sha256": sha256_bytes(data), "size": len(data)} for name, data in sorted(members.items())},
        "boots": boots,
        "images": images,
    }
    members[MANIFEST_NAME] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    _write_tar(out, members)
    return manifest


def _write_tar(out: Path, members: dict[str, bytes]) -> None:
    """Deterministic: sorted members, fixed owner, mode and times, gzip
    without a timestamp; the same inputs give the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(members, key=lambda n: (n != MANIFEST_NAME, n)):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime, info.uid, info.gid = len(members[name]), 0o644, 0, 0, 0
                tar.addfile(info, io.BytesIO(members[name]))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, out)
    except OSError as exc:
        raise EnvError(f"cannot write {out}: {exc.strerror or exc}") from None


# -- opening a bundle --------------------------------------------------------------


@dataclass
class Bundle:
    """An unpacked, member-checked bundle."""

    path: Path
    root: Path
    manifest: dict[str, Any]
    report: LoadedReport
    members: dict[str, str] = field(default_factory=dict)  # name -> sha256


def _bad(path: Path, problem: str) -> ReportError:
    return ReportError(f"bundle {path}: {problem}")


def _unpack(path: Path, dest: Path) -> dict[str, str]:
    """Extract regular files only, with names we would have written, within
    size caps; return name -> sha256. Nothing is written outside `dest`."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise EnvError(f"bundle {path} not found") from None
    except OSError as exc:
        raise EnvError(f"cannot read bundle {path}: {exc.strerror or exc}") from None
    if size > MAX_BUNDLE_BYTES:
        raise _bad(path, f"too large ({size} bytes; the limit is {MAX_BUNDLE_BYTES})")
    found: dict[str, str] = {}
    total = 0
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for info in tar:
                name = info.name
                if not info.isreg():
                    raise _bad(path, f"member {name!r:.80} is not a regular file (links and directories are refused)")
                if not _MEMBER_RE.match(name) or ".." in name:
                    raise _bad(path, f"member name {name!r:.80} is not allowed (absolute, '..' or unexpected characters)")
                if name in found:
                    raise _bad(path, f"member {name} appears twice")
                if len(found) >= MAX_MEMBERS:
                    raise _bad(path, f"more than {MAX_MEMBERS} members")
                if info.size > MAX_MEMBER_BYTES or total + info.size > MAX_TOTAL_BYTES:
                    raise _bad(path, f"member {name} is too large ({info.size} bytes)")
                stream = tar.extractfile(info)
                data = stream.read(MAX_MEMBER_BYTES + 1) if stream else b""
                if len(data) != info.size:
                    raise _bad(path, f"member {name} is truncated")
                total += len(data)
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                found[name] = sha256_bytes(data)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _bad(path, f"not a readable .tar.gz ({exc})") from None
    except OSError as exc:
        raise _bad(path, f"cannot unpack ({exc.strerror or exc})") from None
    return found


def _manifest_entry(path: Path, manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise _bad(path, f"{MANIFEST_NAME} is not a {BUNDLE_FORMAT} manifest")
    if manifest.get("format_version") != BUNDLE_FORMAT_VERSION:
        raise _bad(path, f"bundle format version {manifest.get('format_version')!r:.40} is not supported")
    for key in ("members", "boots", "images"):
        if not isinstance(manifest.get(key), dict):
            raise _bad(path, f"{MANIFEST_NAME}: $.{key}: expected an object")
    for name, row in manifest["members"].items():
        if not isinstance(row, dict) or not isinstance(row.get("sha256"), str):
            raise _bad(path, f"{MANIFEST_NAME}: $.members.{name}.sha256: expected a string")
    for image, row in manifest["boots"].items():
        if not isinstance(row, dict) or any(not (v is None or isinstance(v, str)) for v in row.values()):
            raise _bad(path, f"{MANIFEST_NAME}: $.boots.{image}: expected {{serial, stderr}} member names")
    for image, sha in manifest["images"].items():
        if not (sha is None or isinstance(sha, str)):
            raise _bad(path, f"{MANIFEST_NAME}: $.images.{image}: expected a sha256 string")


def open_bundle(path: Path, dest: Path) -> Bundle:
    """Unpack `path` into `dest` (an empty private directory) and check every
    member against MANIFEST.json. A bundle that is not what `bundle` writes is
    a ReportError (exit 4); a member that does not match is too."""
    found = _unpack(path, dest)
    if MANIFEST_NAME not in found or REPORT_NAME not in found:
        raise _bad(path, f"no {MANIFEST_NAME} or {REPORT_NAME}")
    try:
        manifest, _sha = strictjson.load_file(dest / MANIFEST_NAME, f"bundle {path}: {MANIFEST_NAME}")
    except EnvError as exc:
        raise ReportError(str(exc)) from None
    _manifest_entry(path, manifest)
    listed = manifest["members"]
    for name in sorted(set(found) - {MANIFEST_NAME}):
        if name not in listed:
            raise _bad(path, f"member {name} is not listed in {MANIFEST_NAME}")
        if listed[name]["sha256"] != found[name]:
            raise _bad(path, f"member {name} has sha256 {found[name]}, {MANIFEST_NAME} says {listed[name]['sha256']}: it was edited")
    for name in sorted(set(listed) - set(found)):
        raise _bad(path, f"{MANIFEST_NAME} lists {name}, which the bundle does not contain")
    try:
        report = load_report(dest / REPORT_NAME)
    except ReportError as exc:
        raise _bad(path, str(exc).replace(str(dest / REPORT_NAME), REPORT_NAME)) from None
    return Bundle(path, dest, manifest, report, found)
