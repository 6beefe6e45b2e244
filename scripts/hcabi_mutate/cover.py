"""Coverage-guided image selection (docs/mutation.md, "Which images").

The unmutated refvmm is built once with gcc --coverage and each conformance
image boots on it nested (one launcher batch). Each job runs refvmm under a
busybox shell that points GCOV_PREFIX at the job's own directory and then
writes the .gcda files, base64-encoded, to stderr after refvmm's own output;
the host decodes them next to the .gcno files and reads `gcov --json-format`.
The map says, per source line, how often each image executed it.

A mutant then boots only the images that execute its line, most specific
first; a mutant on an instrumented line no image executes is "not reached".
The map is cached under WORK/coverage/KEY.json, KEY the hash of the sources
of refvmm and the core and of the images: any change rebuilds it.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

# The wrapper run in the nested guest: `sh -c SCRIPT sh REFVMM ARGS...`
# (REFVMM and the image stay separate words, so the launcher copies them in).
GUEST_SCRIPT = (
    'd="$PWD/gcov"; mkdir -p "$d"; GCOV_PREFIX="$d" "$@"; st=$?; '
    'for f in $(find "$d" -name "*.gcda"); do echo "@@gcda ${f#$d}" >&2; base64 "$f" >&2; done; '
    'echo "@@gcda-end" >&2; exit $st'
)
MARK = "@@gcda "
BOOT_OVERHEAD = 0.5  # seconds a boot costs beyond refvmm's own run (launcher, log transfer)
END = "@@gcda-end"

# _exit() skips gcov's exit handler, and refvmm ends through _exit (main.c's
# die): the coverage build wraps it to dump the counters first.
EXIT_WRAPPER = """\
extern void __gcov_dump(void);
extern void __real__exit(int) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status)
{
	__gcov_dump();
	__real__exit(status);
}
"""


def guest_argv(refvmm_argv: list[str]) -> list[str]:
    return ["sh", "-c", GUEST_SCRIPT, "sh", *refvmm_argv]


def split_stderr(text: str) -> tuple[str, dict[str, bytes]]:
    """refvmm's own stderr, and {host path of a .gcda: its bytes} from the
    wrapper's records after it. A record cut short is dropped."""
    lines = text.split("\n")
    own: list[str] = []
    files: dict[str, bytes] = {}
    i = 0
    while i < len(lines) and not lines[i].startswith(MARK) and lines[i] != END:
        own.append(lines[i])
        i += 1
    name: Optional[str] = None
    chunk: list[str] = []

    def close() -> None:
        if name is not None:
            try:
                files[name] = base64.b64decode("".join(chunk), validate=True)
            except (binascii.Error, ValueError):
                pass

    for line in lines[i:]:
        if line.startswith(MARK) or line == END:
            close()
            name, chunk = (line[len(MARK):], []) if line.startswith(MARK) else (None, [])
        elif name is not None:
            chunk.append(line.strip())
    close()
    return "\n".join(own), files


def source_key(source: Path, image_files: list[Path], salt: str = "") -> str:
    """Hash of everything the map depends on: refvmm's and the core's
    sources and headers, the public header, the image files, and `salt`
    (how the boots are made)."""
    h = hashlib.sha256(salt.encode())
    paths = sorted(p for d in ("reference-impl/core", "reference-impl/refvmm", "reference-impl/include")
                   for p in (source / d).rglob("*") if p.is_file() and p.suffix in (".c", ".h", ".txt"))  # fmt: skip
    paths += [source / "abi.h"] if (source / "abi.h").is_file() else []
    for p in paths:
        h.update(p.relative_to(source).as_posix().encode() + b"\0" + p.read_bytes())
    for p in sorted(image_files):
        h.update(p.name.encode() + b"\0" + (p.read_bytes() if p.is_file() else b""))
    return h.hexdigest()[:20]


def configure_and_build(src: Path, build: Path, log: Path) -> Path:
    """The coverage build of hcabi-refvmm (static, counters atomic because
    vCPUs are threads). Returns the binary; raises RuntimeError."""
    build.mkdir(parents=True, exist_ok=True)
    wrapper = build / "hcabi-gcov-exit.c"
    wrapper.write_text(EXIT_WRAPPER, encoding="utf-8")
    obj = build / "hcabi-gcov-exit.o"
    steps = [
        ["gcc", "-c", "-O1", "-o", str(obj), str(wrapper)],
        # -O0 (Debug): an optimised build merges and moves lines, and the map
        # must say exactly which lines ran
        ["cmake", "-S", str(src), "-B", str(build), "-DBUILD_TESTING=OFF", "-DCMAKE_BUILD_TYPE=Debug",
         "-DCMAKE_C_FLAGS=--coverage -fprofile-update=atomic",
         f"-DCMAKE_EXE_LINKER_FLAGS=--coverage -Wl,--wrap=_exit {obj}"],
        ["cmake", "--build", str(build), "--target", "hcabi-refvmm", "-j2"],
    ]  # fmt: skip
    with open(log, "ab") as out:
        for argv in steps:
            rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
            if rc != 0:
                raise RuntimeError(f"the coverage build failed at {argv[0]} {argv[1]} (status {rc}; see {log})")
    return build / "reference-impl" / "refvmm" / "hcabi-refvmm"


def read_gcov(build: Path, gcda: dict[str, bytes], src: Path) -> dict[str, dict]:
    """Write the .gcda files (guest paths are the build's host paths), run
    gcov on each, delete them again; {rel file: {"lines": {line: count},
    "functions": [[name, start, end, count]]}} for files under `src`."""
    out: dict[str, dict] = {}
    written = []
    try:
        for path, data in gcda.items():
            p = Path(path)
            if not p.is_absolute() or build.resolve() not in p.resolve().parents or not p.with_suffix(".gcno").is_file():
                continue
            p.write_bytes(data)
            written.append(p)
        for p in written:
            r = subprocess.run(["gcov", "--json-format", "--stdout", p.name], cwd=p.parent, capture_output=True, check=False)
            for text in r.stdout.decode("utf-8", "replace").splitlines():
                if not text.startswith("{"):
                    continue
                doc = json.loads(text)
                for f in doc.get("files", []):
                    fp = Path(f["file"])
                    if not fp.is_absolute():
                        fp = Path(doc.get("current_working_directory", str(p.parent))) / fp
                    try:
                        rel = fp.resolve().relative_to(src.resolve()).as_posix()
                    except ValueError:
                        continue
                    e = out.setdefault(rel, {"lines": {}, "functions": []})
                    for ln in f.get("lines", []):
                        k = str(ln["line_number"])
                        e["lines"][k] = e["lines"].get(k, 0) + int(ln["count"])
                    for fn in f.get("functions", []):
                        e["functions"].append([fn["name"], fn["start_line"], fn["end_line"], int(fn["execution_count"])])
    finally:
        for p in written:
            p.unlink(missing_ok=True)
    return out


def merge_image(cmap: dict, image: str, per_file: dict[str, dict]) -> None:
    """Fold one image's gcov data into the map:
    files[rel]["lines"][line][image] = count (every instrumented line is
    present, {} when nothing ran it) and files[rel]["functions"][name] =
    [start, end, {image: count}]."""
    files = cmap.setdefault("files", {})
    for rel, e in per_file.items():
        f = files.setdefault(rel, {"lines": {}, "functions": {}})
        for line, count in e["lines"].items():
            slot = f["lines"].setdefault(line, {})
            if count:
                slot[image] = slot.get(image, 0) + count
        for name, start, end, count in e["functions"]:
            fn = f["functions"].setdefault(name, [start, end, {}])
            if count:
                fn[2][image] = fn[2].get(image, 0) + count
    cmap.setdefault("images", [])
    if image not in cmap["images"]:
        cmap["images"].append(image)


# ---- selection (pure: the unit tests drive it with a fabricated map) --------------------


@dataclass(frozen=True)
class Choice:
    kind: str  # "reached", "not-reached", "unknown" (no coverage record: every candidate)
    images: tuple[str, ...]
    function: str = ""  # the enclosing function, when known


def enclosing_function(entry: dict, line: int) -> Optional[tuple[str, dict]]:
    """(name, {image: count}) of the innermost function spanning `line`."""
    best = None
    for name, (start, end, hits) in entry.get("functions", {}).items():
        if start <= line <= end and (best is None or end - start < best[0]):
            best = (end - start, name, hits)
    return (best[1], best[2]) if best else None


def choose(cmap: Optional[dict], rel: str, line: int, candidates: list[str], took: Optional[dict[str, float]] = None) -> Choice:
    """The images that judge a mutant on `rel`:`line`, in boot order.

    - The line has a coverage record: the candidates that executed it, the
      likeliest kill per second of boot first: the share of the image's
      executions of the file's lines that fall on this line (an image that
      lives in this code beats one that passes through; the proxy for the
      chance it kills) over its baseline boot's seconds (plus the
      launcher's per-boot overhead), then the quicker boot. None: "not
      reached".
    - No record for the line (a continuation line of a statement, a macro
      body, an initializer) but inside a function: the candidates that ran
      the function; none: "not reached".
    - Otherwise (no map, file not in the map, a line outside any function):
      "unknown", every candidate, quickest first.
    """
    took = took or {}
    entry = (cmap or {}).get("files", {}).get(rel)
    if entry is None:
        return Choice("unknown", tuple(sorted(candidates, key=lambda i: (took.get(i, 0.0), i))))
    fn = enclosing_function(entry, line)
    fname = fn[0] if fn else ""
    hits = entry["lines"].get(str(line))
    if hits is None:
        if fn is None:
            return Choice("unknown", tuple(sorted(candidates, key=lambda i: (took.get(i, 0.0), i))))
        hits = fn[1]
    ran = [i for i in candidates if hits.get(i, 0) > 0]
    if not ran:
        return Choice("not-reached", (), fname)
    volume = {i: sum(s.get(i, 0) for s in entry["lines"].values()) or 1 for i in ran}
    ran.sort(key=lambda i: (-hits[i] / volume[i] / (took.get(i, 0.0) + BOOT_OVERHEAD), took.get(i, 0.0), i))
    return Choice("reached", tuple(ran), fname)


def load(path: Path) -> Optional[dict]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, EOFError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


def save(path: Path, cmap: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        json.dump(cmap, f, sort_keys=True)
    shutil.move(str(tmp), str(path))
