"""Tests of scripts/hcabi_mutate without a boot: the lexer and the mutant
generator (operators found and applied exactly, stable IDs, one edit per
mutant, comments and strings untouched, status swaps within the registry's
permitted list), the kill rule, batching, image choice, and the command
line's errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness_testlib import SCRIPTS  # first: it puts the package roots on sys.path

ROOT = SCRIPTS.parent

from hcabi_mutate import gen  # noqa: E402
from hcabi_mutate import run as R  # noqa: E402

REQS = json.loads((ROOT / "spec" / "generated" / "requirements.json").read_text(encoding="utf-8"))
PERMITTED = gen.permitted_statuses(REQS)
REAL_FILES = sorted(p.relative_to(ROOT).as_posix() for g in ("reference-impl/core/*.c", "reference-impl/refvmm/src/*.c", "reference-impl/refvmm/src/arch/*/*.c") for p in ROOT.glob(g))


def mutants(src: str, refvmm: bool = False, rel: str = "x.c") -> list[gen.Mutant]:
    return gen.mutants_of(rel, src, PERMITTED, refvmm)


def edits(ms: list[gen.Mutant]) -> list[tuple[str, str, str]]:
    return [(m.id, m.original, m.replacement) for m in ms]


# ---- operators found and applied exactly ---------------------------------------------


def test_relational_logical_arithmetic_operators() -> None:
    src = "int f(int a, int b)\n{\n\treturn a < b && a + b;\n}\n"
    assert edits(mutants(src)) == [
        ("x.c:3:ror:0", "<", "<="),
        ("x.c:3:lcr:0", "&&", "||"),
        ("x.c:3:aor:0", "+", "-"),
    ]
    applied = [m.apply(src) for m in mutants(src)]
    assert applied[0] == "int f(int a, int b)\n{\n\treturn a <= b && a + b;\n}\n"
    assert applied[1].splitlines()[2] == "\treturn a < b || a + b;"
    assert applied[2].splitlines()[2] == "\treturn a < b && a - b;"


def test_every_relational_operator_has_its_counterpart() -> None:
    src = "void f(int a){ g(a < 1, a <= 1, a > 1, a >= 1, a == 1, a != 1); }\n"
    got = [(m.original, m.replacement) for m in mutants(src) if m.op == "ror"]
    assert got == [("<", "<="), ("<=", "<"), (">", ">="), (">=", ">"), ("==", "!="), ("!=", "==")]


def test_unary_operators_and_declarations_are_not_arithmetic() -> None:
    src = "void f(uint64_t *p, struct s *q, int x){ int y = -x; y = *p; g(y * x, (y) - 1); }\n"
    got = [(m.original, m.replacement) for m in mutants(src) if m.op == "aor"]
    assert got == [("*", "/"), ("-", "+")]


def test_off_by_one_constants_keep_base_and_suffix() -> None:
    src = "int a = 0; long b = 10u; int c = 0xFF; int d = 0x1full;\n"
    got = [(m.original, m.replacement, m.index) for m in mutants(src) if m.op == "obo"]
    assert got == [
        ("0", "1", 0),
        ("10u", "11u", 1), ("10u", "9u", 2),
        ("0xFF", "0x100", 3), ("0xFF", "0xFE", 4),
        ("0x1full", "0x20ull", 5), ("0x1full", "0x1eull", 6),
    ]  # fmt: skip


def test_removed_check_single_and_braced_but_not_with_else() -> None:
    src = (
        "int f(int a)\n{\n"
        "\tif (a < 0)\n\t\treturn -3;\n"
        "\tif (a == 1) { return 2; }\n"
        "\tif (a == 2) return 1; else a++;\n"
        "\tif (a == 3) { a++; return 1; }\n"
        "\treturn 0;\n}\n"
    )
    checks = [m for m in mutants(src) if m.op == "rmcheck"]
    assert [(m.line, m.original) for m in checks] == [(3, "if (a < 0)\n\t\treturn -3;"), (5, "if (a == 1) { return 2; }")]
    # the removal keeps the line count, so the next lines keep their numbers
    assert checks[0].replacement == ";\n"
    assert checks[0].apply(src).count("\n") == src.count("\n")


def test_register_writes_removed_only_in_refvmm() -> None:
    src = "void f(void)\n{\n\tregs.rax = 1;\n\trun->xen.u.hcall.result = regs.rax;\n\tcall.args[0] = regs.rdi;\n\tx.count = 2;\n}\n"
    got = [(m.line, m.original, m.replacement) for m in mutants(src, refvmm=True) if m.op == "rmwrite"]
    assert got == [(3, "regs.rax = 1;", ";"), (4, "run->xen.u.hcall.result = regs.rax;", ";")]
    assert not [m for m in mutants(src) if m.op == "rmwrite"]


# ---- comments, strings, preprocessor lines ----------------------------------------------


def test_comments_strings_and_includes_are_never_mutated() -> None:
    src = (
        "#include <stdint.h>\n"
        "#if A < 2\n#endif\n"
        "/* a < b; if (x) return 1; 3 + 4 */\n"
        "// a == b 7\n"
        'const char *s = "a < b + 1", c = \'<\', *e = "esc \\" < 5";\n'
        "int v = a < b;\n"
    )
    ms = mutants(src)
    assert edits(ms) == [("x.c:7:ror:0", "<", "<=")]


def test_define_bodies_are_mutated_but_not_their_names() -> None:
    src = "#define LIMIT_2 (1u << 8)\nint x;\n"
    assert [(m.line, m.original, m.replacement) for m in mutants(src)] == [
        (1, "1u", "2u"), (1, "1u", "0u"), (1, "<<", ">>"), (1, "8", "9"), (1, "8", "7"),
    ]  # fmt: skip


def test_static_asserts_are_left_alone() -> None:
    assert mutants('_Static_assert(sizeof(int) == 4, "int");\n') == []


# ---- statuses within the permitted list -------------------------------------------------------


def test_status_swap_uses_the_registry_list_of_the_case() -> None:
    src = (
        "static int64_t h(int fid, int a)\n{\n\tswitch (fid) {\n"
        "\tcase HCABI_FID_IPI_SEND:\n\t\tif (a)\n\t\t\treturn HCABI_ERR_INVALID_PARAM;\n\t\treturn HCABI_SUCCESS;\n"
        "\tdefault:\n\t\treturn HCABI_ERR_NOT_SUPPORTED;\n\t}\n}\n"
    )
    ms = [m for m in mutants(src) if m.op == "status"]
    allowed = PERMITTED["HCABI_FID_IPI_SEND"]
    assert {(m.line, m.original) for m in ms} == {(6, "HCABI_ERR_INVALID_PARAM"), (7, "HCABI_SUCCESS")}
    for m in ms:
        assert gen.macro_status(m.replacement) in allowed and m.replacement != m.original
    # each status of the list but its own, once
    assert len(ms) == 2 * (len(allowed) - 1)


def test_status_swap_in_a_helper_named_after_the_function() -> None:
    src = "static int64_t vcpu_kick(int a)\n{\n\tif (a)\n\t\treturn HCABI_ERR_INVALID_STATE;\n\treturn HCABI_SUCCESS;\n}\n"
    ms = [m for m in mutants(src) if m.op == "status"]
    assert ms and {gen.macro_status(m.replacement) for m in ms} <= set(PERMITTED["vcpu_kick"])


def test_no_status_swap_outside_a_known_function() -> None:
    src = "static int64_t other(int a)\n{\n\treturn a ? HCABI_ERR_DENIED : HCABI_SUCCESS;\n}\n"
    assert not [m for m in mutants(src) if m.op == "status"]


def test_report_counts_only_results_valid_for_todays_source(tmp_path: Path) -> None:
    # one result per mutant of ext_system.c: the first for today's line, the
    # second stored for a line that said something else (a moved edit)
    listed = cli("--list", "--files", "ext_system.c").stdout.splitlines()
    ids = [line.split("\t")[0] for line in listed]
    assert len(ids) == 2
    text = (SCRIPTS.parent / "reference-impl/core/ext_system.c").read_text()
    today = {m.id: m for m in mutants(text, rel="reference-impl/core/ext_system.c")}
    results = {"format": 1, "baseline": None, "partial": {}, "mutants": {
        ids[0]: R.entry_for(today[ids[0]], status="killed"),
        ids[1]: {**R.entry_for(today[ids[1]], status="survived"), "context": "int other = 0;"},
    }}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    p = cli("--report", "--files", "ext_system.c", "--results", str(path))
    assert p.returncode == 0, p.stderr
    assert "| **all** | 1 | 0 | 0 | 0 | 0 | 0 | 100.0% |" in p.stdout
    assert "Survivors" not in p.stdout
    assert "1 of the selection's 2 mutant(s) of 1 file(s) have a result; 1 not yet judged" in p.stdout


@pytest.mark.parametrize("rel", REAL_FILES)
def test_real_status_mutants_stay_in_the_permitted_list(rel: str) -> None:
    text = (ROOT / rel).read_text(encoding="utf-8")
    toks = gen.lex(text)
    ctx = gen.function_contexts(toks, PERMITTED)
    where = {t.start: c for t, c in zip(toks, ctx)}
    for m in gen.mutants_of(rel, text, PERMITTED, rel.startswith("reference-impl/refvmm/")):
        if m.op == "status":
            allowed = PERMITTED[where[m.start]]
            assert gen.macro_status(m.original) in allowed and gen.macro_status(m.replacement) in allowed, m.id


# ---- one edit per mutant, stable IDs -----------------------------------------------------


@pytest.mark.parametrize("rel", REAL_FILES)
def test_real_mutants_differ_in_one_place_and_have_unique_ids(rel: str) -> None:
    text = (ROOT / rel).read_text(encoding="utf-8")
    ms = gen.mutants_of(rel, text, PERMITTED, rel.startswith("reference-impl/refvmm/"))
    assert ms, rel
    ids = [m.id for m in ms]
    assert len(ids) == len(set(ids))
    for m in ms:
        out = m.apply(text)
        assert out != text, m.id
        # one place: everything before the edit and after it is unchanged
        prefix = len(os.path.commonprefix([text, out]))
        suffix = len(os.path.commonprefix([text[::-1], out[::-1]]))
        assert prefix >= m.start and len(text) - suffix <= m.end, m.id
        assert text[m.start : m.end] == m.original
        # the ID's line is where the edit starts
        assert text.count("\n", 0, m.start) + 1 == m.line


def test_ids_are_stable_and_survive_edits_elsewhere() -> None:
    src = "int f(int a)\n{\n\treturn a < 3;\n}\n"
    first = edits(mutants(src))
    assert edits(mutants(src)) == first
    # a comment added on an existing line moves nothing
    assert edits(mutants(src.replace("{\n", "{ /* x < 1 */\n"))) == first
    # an edit above shifts the line numbers only
    shifted = edits(mutants("\n" + src))
    assert [i.replace(":4:", ":3:") for i, _, _ in shifted] == [i for i, _, _ in first]


def test_generate_lists_every_default_file() -> None:
    ms = gen.generate(ROOT, REAL_FILES, REQS)
    assert {m.file for m in ms} == set(REAL_FILES)
    assert {m.op for m in ms} == set(gen.OPERATORS)


# ---- the run's logic ---------------------------------------------------------------------------


def boot(tests: dict[str, str], verified: bool = True, ending: str = "exit") -> dict:
    return {"ending": ending, "verified": verified, "tests": tests}


def test_verdict_kill_kinds() -> None:
    base = {"ipi": boot({"A": "pass", "B": "pass", "C": "fail"})}
    assert R.verdict({"ipi": boot({"A": "pass", "B": "pass", "C": "fail"})}, base)["status"] == "survived"
    assert R.verdict({"ipi": boot({"A": "fail", "B": "pass", "C": "fail"})}, base)["status"] == "killed"
    assert R.verdict({"ipi": boot({"A": "crash", "B": "pass", "C": "fail"})}, base)["status"] == "killed"
    assert R.verdict({"ipi": boot({"A": "error", "B": "pass", "C": "fail"})}, base)["status"] == "killed-error"
    assert R.verdict({"ipi": boot({"A": "pass", "B": "pass", "C": "fail"}, verified=False)}, base)["status"] == "killed"
    skipped = R.verdict({"ipi": boot({"A": "skip", "B": "pass", "C": "fail"})}, base)
    assert skipped["status"] == "survived" and skipped["pass_to_skip"] == ["A"]


def test_refvmm_host_error_is_a_result_but_no_launcher_result_is_not() -> None:
    assert not R.host_failed({"a": {**boot({"A": "error"}, False, "host-error"), "ran": True}})
    assert R.host_failed({"a": {**boot({"A": "error"}, False, "host-error"), "ran": False}})


def test_batches_respect_the_limit() -> None:
    items = [("baseline", ["a"] * 13), ("m1", ["a"] * 4), ("m2", ["a"] * 13), ("m3", ["a"] * 2)]
    batches = R.plan_batches(items, 17)
    assert [[o for o, _ in b] for b in batches] == [["baseline", "m1"], ["m2", "m3"]]
    assert all(sum(len(i) for _, i in b) <= 17 for b in batches)
    assert [[o for o, _ in b] for b in R.plan_batches(items, 1)] == [["baseline"], ["m1"], ["m2"], ["m3"]]


class _Manifest:
    images = {n: None for n in ("base", "console", "ipi", "x86", "batch", "vcpu")}


def test_relevant_images_come_from_the_test_sources() -> None:
    got = R.relevant_images("reference-impl/core/ext_ipi.c", ROOT, _Manifest())  # type: ignore[arg-type]
    assert "ipi" in got and "console" not in got
    assert R.relevant_images("reference-impl/refvmm/src/vm.c", ROOT, _Manifest()) == sorted(_Manifest.images)  # type: ignore[arg-type]
    # --shared-images narrows the files every call goes through, not ext_*.c
    assert R.relevant_images("reference-impl/refvmm/src/vm.c", ROOT, _Manifest(), ["x86", "base"]) == ["base", "x86"]  # type: ignore[arg-type]
    assert R.relevant_images("reference-impl/core/ext_ipi.c", ROOT, _Manifest(), ["base"]) == got  # type: ignore[arg-type]


def test_build_mutant_restores_the_file_when_it_does_not_compile(tmp_path: Path) -> None:
    class Fake(R.Scratch):
        def compile(self) -> bool:
            assert (self.src / "a.c").read_text() == "int x = 2;\n"
            return False

    scratch = Fake(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text("int x = 1;\n")
    m = mutants("int x = 1;\n", rel="a.c")[0]
    assert R.build_mutant(scratch, m, tmp_path / "bin") == ("stillborn", None)
    assert (tmp_path / "src" / "a.c").read_text() == "int x = 1;\n"


def test_durations_read_from_the_launcher_log(tmp_path: Path) -> None:
    log = tmp_path / "launcher.log"
    log.write_text("hcabi-nested: booting\nhcabi-nested: j001.ipi: status 1 (4.2 s)\nhcabi-nested: j002.x86: status 137 (30.0 s)\n")
    assert R.durations(log) == {"j001.ipi": 4.2, "j002.x86": 30.0}


def test_a_stored_result_applies_only_to_the_same_edit() -> None:
    m = mutants("int a = 1;\n")[0]
    assert R.still_valid(R.entry_for(m, status="killed"), m)
    assert not R.still_valid({**R.entry_for(m, status="killed"), "replacement": "7"}, m)


def test_a_stored_result_does_not_apply_to_the_same_edit_on_another_line_text() -> None:
    # Line 1's `1` -> `2` has the same ID and edit in both files, but the line says
    # something else now: the stored verdict is not evidence for it.
    old = mutants("int a = 1;\n")[0]
    new = mutants("int b = 1 + c;\n")[0]
    assert (old.id, old.original, old.replacement) == (new.id, new.original, new.replacement)
    assert old.context == "int a = 1;" and new.context == "int b = 1 + c;"
    assert not R.still_valid(R.entry_for(old, status="survived"), new)


# ---- command line ------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / "hcabi_mutate"), *args], capture_output=True, text=True, check=False)


def test_list_prints_ids_and_edits() -> None:
    p = cli("--list", "--files", "ext_system.c")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert lines and all(line.startswith("reference-impl/core/ext_system.c:") and "\t" in line for line in lines)
    assert cli("--list", "--files", "ext_system.c").stdout == p.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--list", "--files", "nope.c"], "--files nope.c"),
        (["--list", "--only", "x.c:1:ror:0"], "--only x.c:1:ror:0"),
        (["--list", "--ops", "ror,bogus"], "--ops"),
        (["--list", "--jobs-per-batch", "0"], "--jobs-per-batch"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], words: str) -> None:
    p = cli(*args)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and words in p.stderr and "Traceback" not in p.stderr


# ---- configurations ---------------------------------------------------------------------------

from hcabi_mutate import configs as C  # noqa: E402
from hcabi_conform.manifests import ImageSpec  # noqa: E402


def test_combine_keeps_the_strongest_status_and_names_each_configuration() -> None:
    e = {"file": "f.c", "op": "ror", "describe": "x"}
    got = C.combine({
        "default": {"mutants": {"a": {**e, "status": "not-reached"}, "b": {**e, "status": "killed"}, "c": {**e, "status": "survived"}}},
        "v1.0": {"mutants": {"a": {**e, "status": "killed-error"}, "b": {**e, "status": "survived"}, "d": {**e, "status": "bogus"}}},
        "core": {"mutants": {"a": {**e, "status": "killed"}, "c": {**e, "status": "not-reached"}}},
    })["mutants"]
    assert {k: v["status"] for k, v in got.items()} == {"a": "killed", "b": "killed", "c": "survived"}
    assert got["a"]["configs"] == {"core": "killed", "default": "not-reached", "v1.0": "killed-error"}
    assert got["c"]["configs"] == {"core": "not-reached", "default": "survived"}


def test_each_configuration_boots_refvmm_its_own_way(tmp_path: Path) -> None:
    image = ImageSpec(name="base", file="base.elf", vcpus=1, memory_mib=64, ends="exit")
    (tmp_path / "base.elf").write_bytes(b"\x7fELF")
    job = R.Job("j.base", "m", image, Path("/bin/refvmm"))
    argvs = {}
    for name, cfg in C.CONFIGS.items():
        n = R.Nested(Path("l"), Path("c"), None, tmp_path, None, 30.0, config=cfg)
        n._keys["base"] = bytes(32)  # the image's evidence key, which a real image carries
        argvs[name] = n.argv(job, tmp_path)
    assert "--spec-version" not in argvs["default"] and "--extensions" not in argvs["default"]
    i = argvs["v1.0"].index("--spec-version")
    assert argvs["v1.0"][i + 1] == "1.0" and "--extensions" not in argvs["v1.0"]
    i = argvs["core"].index("--extensions")
    assert argvs["core"][i + 1] == "core" and argvs["core"][-1].endswith("base.elf")
    # each configuration its own results file and coverage map; the default's names are the old ones
    assert C.results_path(tmp_path, C.CONFIGS["default"]).name == "results.json"
    assert C.results_path(tmp_path, C.CONFIGS["core"]).name == "results-core.json"
    assert C.coverage_salt(2, C.CONFIGS["default"]) == "boot-args-2"
    assert len({C.coverage_salt(2, c) for c in C.CONFIGS.values()}) == len(C.CONFIGS)


def test_report_combines_the_configurations_found_in_work(tmp_path: Path) -> None:
    listed = cli("--list", "--files", "ext_system.c").stdout.splitlines()
    ids = [line.split("\t")[0] for line in listed]
    text = (SCRIPTS.parent / "reference-impl/core/ext_system.c").read_text()
    today = {m.id: m for m in mutants(text, rel="reference-impl/core/ext_system.c")}
    for name, statuses in (("results.json", ("survived", "not-reached")), ("results-v1.0.json", ("killed", "survived"))):
        res = {"format": 1, "baseline": None, "mutants": {i: R.entry_for(today[i], status=s) for i, s in zip(ids, statuses)}}
        (tmp_path / name).write_text(json.dumps(res))
    p = cli("--report", "--files", "ext_system.c", "--results-dir", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "| **all** | 1 | 0 | 1 | 0 | 0 | 0 | 50.0% |" in p.stdout
    assert "configurations combined (a mutant killed in any is killed): default: 2, v1.0: 2" in p.stdout
    # one file named: only that one
    p = cli("--report", "--files", "ext_system.c", "--results", str(tmp_path / "results.json"))
    assert "| **all** | 0 | 0 | 1 | 1 | 0 | 0 | 0.0% |" in p.stdout and "combined" not in p.stdout


def test_a_results_file_of_another_configuration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps({"format": 1, "baseline": None, "config": "core", "mutants": {}}))
    p = cli("--files", "ext_system.c", "--results", str(tmp_path / "r.json"), "--work", str(tmp_path), "--build-dir", str(tmp_path))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "made with --config core, not default" in p.stderr


def test_a_new_configuration_starts_its_own_results_file(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"format": 1, "baseline": None, "mutants": {}}))
    p = cli("--plan", "--config", "core", "--files", "ext_system.c", "--results-dir", str(tmp_path), "--work", str(tmp_path), "--build-dir", str(tmp_path))
    # past the results files (the default's is not the core run's): on to the missing build
    assert p.returncode == 4 and "tests.json" in p.stderr and "--config" not in p.stderr
