"""The bench's parsing, ratios with their spread, report lines and busy-machine
warning (hcabi_bench.py, hcabi_busy.py); no timing is measured here."""

from __future__ import annotations

from harness_testlib import SCRIPTS  # noqa: F401  (first: it puts the package roots on sys.path)

import hcabi_bench as hb  # noqa: E402
import hcabi_busy as busy  # noqa: E402

SERIAL = """\
hcabi-bench: starting
hcabi-bench: result name=out_port ns_per_op=37323 ns_min=36810 ns_max=40100 cycles_per_op=96963 iters=2000 rounds=7
hcabi-bench: result name=null_call ns_per_op=39186 ns_min=38810 ns_max=45000 cycles_per_op=101822 iters=2000 rounds=7
hcabi-bench: result name=separate64 ns_per_op=39805 ns_min=38162 ns_max=41000 cycles_per_op=103307 iters=1984 rounds=7
hcabi-bench: result name=batch64 ns_per_op=800 ns_min=790 ns_max=1000 cycles_per_op=2864 iters=16000 rounds=7
hcabi-bench: done
"""


def test_parse_with_and_without_the_slowest_round() -> None:
    g = hb.parse_bench_serial(SERIAL)
    assert g["null_call"] == {"ns_per_op": 39186, "ns_min": 38810, "ns_max": 45000, "cycles_per_op": 101822, "iters": 2000, "rounds": 7}
    old = hb.parse_bench_serial("hcabi-bench: result name=cpuid ns_per_op=5 ns_min=4 cycles_per_op=9 iters=10 rounds=3\n")
    assert old == {"cpuid": {"ns_per_op": 5, "ns_min": 4, "cycles_per_op": 9, "iters": 10, "rounds": 3}}


def test_spread_and_goals() -> None:
    g = hb.parse_bench_serial(SERIAL)
    a = hb.spread(g, "null_call", "out_port")
    assert a is not None
    assert a["median"] == 39186 / 37323 and a["fastest"] == 38810 / 36810 and a["slowest"] == 45000 / 40100
    assert hb.goal_met(a, 1.10) and not hb.goal_met(a, 1.05)
    # the fastest rounds count too: a median inside the goal is not enough
    assert not hb.goal_met({"median": 1.09, "fastest": 1.11}, 1.10)
    b = hb.spread(g, "batch64", "separate64")
    assert b is not None and hb.goal_met(b, 1 / 48)
    assert hb.spread(g, "batch64", "cpuid") is None


def test_ratio_lines_show_the_spread_and_the_verdict() -> None:
    g = hb.parse_bench_serial(SERIAL)
    a = hb.format_ratio("(a) x", hb.spread(g, "null_call", "out_port") or {}, 39186, 37323, 1.10, False)
    assert a == (
        "  (a) x = 39186 / 37323 ns = 1.050 on the medians (fastest rounds 1.054, slowest rounds 1.122)  "
        "goal <= 1.100 on the medians and the fastest rounds: met"
    )
    b = hb.format_ratio("(b) y", {"median": 1 / 35.9, "fastest": 1 / 35.2}, 1108, 39805, 1 / 48, True)
    assert "= 1/35.9 on the medians (fastest rounds 1/35.2)" in b and b.endswith("goal <= 1/48.0 on the medians and the fastest rounds: NOT met")


def test_conform_line_splits_each_batch_when_they_overlap() -> None:
    per_boot = {
        "a": {"batch": 0, "job": 10.0, "batch_wall": 16.0, "batch_vm_boot": 4.0, "batch_holder_up": 4.5},
        "b": {"batch": 0, "job": 1.0, "batch_wall": 16.0, "batch_vm_boot": 4.0, "batch_holder_up": 4.5},
        "c": {"batch": 1, "job": 11.0, "batch_wall": 16.5, "batch_vm_boot": 4.2},
    }
    c = {"mode": "nested", "boots": 3, "verdict": "conformant", "wall_s": 17.0, "timing": {}, "per_boot": per_boot}
    lines = hb.format_conform(c, None)
    assert lines[0].endswith("wall 17.0 s, 2 nested batches at once:")
    assert lines[1] == "      batch 0: 2 boots, wall 16.0 s = nested VM boot 4.5 s + jobs 11.0 s + other 0.5 s"
    assert lines[2] == "      batch 1: 1 boots, wall 16.5 s = nested VM boot 4.2 s + jobs 11.0 s + other 1.3 s"
    one = dict(c, per_boot={"a": per_boot["a"]}, timing={"booting": 4.5, "testing": 10.0, "other": 1.5, "unsplit": 0.0})
    assert hb.format_conform(one, 0.1)[0].endswith("= booting 4.5 s + testing 10.0 s + other 1.5 s + the runner's own 1.0 s")


STAT = "cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 50 0 25 400 5 0 0 20 0 0\nintr 1\n"
STAT2 = "cpu  300 0 150 1300 10 0 0 40 0 0\n"


def test_proc_parsing() -> None:
    assert busy.parse_loadavg("0.30 0.50 0.90 1/117 23184\n") == 0.30
    assert busy.parse_loadavg("") is None and busy.parse_loadavg("x y") is None
    assert busy.parse_stat_cpu(STAT) == [100, 0, 50, 800, 10, 0, 0, 40]
    assert busy.parse_stat_cpu("cpu 1 2 3 4\n") == [1, 2, 3, 4, 0, 0, 0, 0], "old kernels: fewer fields"
    assert busy.parse_stat_cpu("cpu 1 2\n") is None and busy.parse_stat_cpu("intr 5\n") is None
    snap = busy.parse_proc_text("1.50 1.0 1.0 2/100 5\n" + STAT)
    assert snap.load1 == 1.5 and snap.cpu == [100, 0, 50, 800, 10, 0, 0, 40]


def test_quiet_run_has_no_warning() -> None:
    before = busy.Snapshot(0.0, 0.3, [100, 0, 50, 800, 10, 0, 0, 40], own_cpu_s=0.0)
    # 10 s on 2 CPUs at 100 ticks/s = 2000 ticks: 300 busy, all of them ours
    after = busy.Snapshot(10.0, 1.2, [300, 0, 150, 2500, 10, 0, 0, 40], own_cpu_s=3.0)
    a = busy.assess(before, after, 2, 100)
    assert a["load_per_cpu_start"] == 0.15 and a["load_per_cpu_end"] == 0.6
    assert a["steal_share"] == 0.0 and a["others_share"] == 0.0
    assert not a["busy"] and busy.warning([a]) is None
    assert busy.summary(a) == "host: load 0.15/CPU at the start, 0.60 at the end (2 CPUs), other processes 0 % of the CPUs, steal 0.0 %"


def test_busy_by_load_others_and_steal_names_each_threshold() -> None:
    before = busy.Snapshot(0.0, 3.0, [100, 0, 50, 800, 10, 0, 0, 40], own_cpu_s=0.0)
    # 10 s, 2 CPUs, 100 Hz: 1000 busy ticks = 10 s of CPU, 3 s ours -> others 35 %; steal 200 of 2000 = 10 %
    after = busy.Snapshot(10.0, 3.5, [800, 0, 350, 1600, 10, 0, 0, 240], own_cpu_s=3.0)
    a = busy.assess(before, after, 2, 100)
    assert a["busy"] and a["others_share"] == 0.35 and a["steal_share"] == 0.1
    line = busy.warning([a])
    assert line is not None and "\n" not in line
    assert "host load 1.50/CPU at the start (over 0.5)" in line
    assert "other processes used 35 % of the host's CPUs (over 25 %)" in line
    assert "host steal 10.0 % of the CPUs' time (over 5 %)" in line


def test_nested_vm_without_hz_judges_load_and_steal_only() -> None:
    before = busy.parse_proc_text("0.00 0 0 1/1 1\n" + STAT)
    after = busy.parse_proc_text("1.00 0 0 1/1 1\n" + STAT2)
    a = busy.assess(before, after, 2, None, "nested VM")
    assert "others_share" not in a and a["steal_share"] == 0.0 and not a["busy"]
    assert busy.summary(a).startswith("nested VM: load 0.00/CPU at the start, 0.50 at the end (2 CPUs)")


def test_report_lines_from_results() -> None:
    g = hb.parse_bench_serial(SERIAL)
    res = {"guest_ns": g, "ratio_null_over_exit": hb.spread(g, "null_call", "out_port"), "ratio_batch64_over_separate": hb.spread(g, "batch64", "separate64"),
           "machine": {"assessed": [{"where": "host", "cpus": 2, "load_per_cpu_start": 0.1}]}}  # fmt: skip
    lines = hb.format_report(res)
    assert lines[0] == "  guest  out_port        37323 ns/op  (fastest 36810, slowest 40100; 96963 TSC cycles; median of 7 rounds of 2000)"
    assert any(ln.startswith("  (a) x86_64: null call / bare exit to userspace (out_port) = 39186 / 37323 ns = 1.050") for ln in lines)
    assert any(ln.startswith("  (b) BATCH of 64, per call / separate call = 800 / 39805 ns = 1/49.8") for ln in lines)
    assert lines[-1] == "  machine, host: load 0.10/CPU at the start (2 CPUs)"


ARM64_SERIAL = """\
hcabi-bench: starting
hcabi-bench: bare exit: MMIO write to 0x9000100 (PL011 + 0x100, dropped by the VMM); kernel exit: HVC SMCCC_VERSION (answered 0x10001)
hcabi-bench: result name=mmio_write ns_per_op=50000 ns_min=40000 ns_max=80000 cycles_per_op=3125 iters=2000 rounds=7
hcabi-bench: result name=null_call ns_per_op=150000 ns_min=100000 ns_max=200000 cycles_per_op=9375 iters=2000 rounds=7
hcabi-bench: result name=separate64 ns_per_op=160000 ns_min=110000 ns_max=210000 cycles_per_op=10000 iters=1984 rounds=7
hcabi-bench: result name=batch64 ns_per_op=3000 ns_min=2500 ns_max=4000 cycles_per_op=187 iters=16000 rounds=7
hcabi-bench: result name=smccc_version ns_per_op=20000 ns_min=15000 ns_max=30000 cycles_per_op=1250 iters=2000 rounds=7
hcabi-bench: ratio name=null_call/mmio_write milli=3000
hcabi-bench: done
"""


def test_arm64_report_names_its_bare_exit_counter_and_architecture() -> None:
    arch = hb.ARCHES["arm64"]
    g = hb.parse_bench_serial(ARM64_SERIAL)
    a = hb.spread(g, "null_call", arch.bare_exit)
    assert a == {"median": 3.0, "fastest": 2.5, "slowest": 2.5}
    # the x86-64 denominator is absent from an arm64 run: no ratio from it
    assert hb.spread(g, "null_call", hb.ARCHES["x86_64"].bare_exit) is None
    res = {"arch": "arm64", "guest_ns": g, "ratio_null_over_exit": a, "machine": {"assessed": []}}
    lines = hb.format_report(res)
    assert lines[0] == "  guest  mmio_write        50000 ns/op  (fastest 40000, slowest 80000; 3125 timer ticks; median of 7 rounds of 2000)"
    assert lines[4] == "  guest  smccc_version     20000 ns/op  (fastest 15000, slowest 30000; 1250 timer ticks; median of 7 rounds of 2000)"
    assert lines[5] == (
        "  (a) arm64: null call / bare exit to userspace (mmio_write) = 150000 / 50000 ns = 3.000 on the medians "
        "(fastest rounds 2.500, slowest rounds 2.500)  goal <= 1.100 on the medians and the fastest rounds: NOT met"
    )
    # a results.json from before `arch` was recorded is x86-64's
    assert hb.format_report({"guest_ns": hb.parse_bench_serial(SERIAL)})[0].startswith("  guest  out_port    ")


# a real run's serial (refvmm riscv64 nested, a busy machine)
RISCV64_SERIAL = """\
hcabi-bench: starting
hcabi-bench: iters=2000 rounds=7 (per round: 250 batches of 64, 31 x 64 separate calls)
hcabi-bench: bare exit: MMIO write to 0x10000007 (the 16550's scratch register, held by the VMM); kernel exit: SBI get_spec_version (answered 0x2000000)
hcabi-bench: result name=mmio_write ns_per_op=130423 ns_min=74246 ns_max=201207 cycles_per_op=1303 iters=2000 rounds=7
hcabi-bench: result name=null_call ns_per_op=93936 ns_min=77469 ns_max=203061 cycles_per_op=938 iters=2000 rounds=7
hcabi-bench: result name=batch64 ns_per_op=2455 ns_min=1646 ns_max=5841 cycles_per_op=24 iters=16000 rounds=7
hcabi-bench: result name=separate64 ns_per_op=106800 ns_min=72100 ns_max=271883 cycles_per_op=1067 iters=1984 rounds=7
hcabi-bench: result name=sbi_spec_version ns_per_op=27518 ns_min=22193 ns_max=47858 cycles_per_op=274 iters=2000 rounds=7
hcabi-bench: result name=get_mono ns_per_op=83042 ns_min=79087 ns_max=229125 cycles_per_op=830 iters=2000 rounds=7
hcabi-bench: ratio name=null_call/mmio_write milli=720
hcabi-bench: ratio name=batch64/separate64 milli=22
hcabi-bench: done
"""


def test_riscv64_report_uses_its_own_exits() -> None:
    arch = hb.ARCHES["riscv64"]
    g = hb.parse_bench_serial(RISCV64_SERIAL)
    assert hb.guest_finished(RISCV64_SERIAL, 0, arch) is None
    got = hb.spread(g, "null_call", arch.bare_exit)
    assert got is not None and {k: round(v, 3) for k, v in got.items()} == {"median": 0.72, "fastest": 1.043, "slowest": 1.009}
    res = {"arch": "riscv64", "guest_ns": g, "ratio_null_over_exit": hb.spread(g, "null_call", arch.bare_exit),
           "machine": {"assessed": []}}  # fmt: skip
    lines = hb.format_report(res)
    assert lines[4].startswith("  guest  sbi_spec_version     27518 ns/op  (fastest 22193, slowest 47858; 274 timer ticks;")
    assert lines[6].startswith("  (a) riscv64: null call / bare exit to userspace (mmio_write) = 93936 / 130423 ns = 0.720")


def test_guest_finished_per_architecture() -> None:
    x86, arm = hb.ARCHES["x86_64"], hb.ARCHES["arm64"]
    assert hb.guest_finished(SERIAL, 1, x86) is None
    assert hb.guest_finished(ARM64_SERIAL, 0, arm) is None
    # arm64 ends through SYSTEM.SHUTDOWN: status 0 whatever the code, so the lines decide
    assert hb.guest_finished(ARM64_SERIAL, 1, arm) == "refvmm ended with status 1 (expected 0)"
    assert hb.guest_finished(SERIAL, 0, x86) == "refvmm ended with status 0 (expected 1)"
    assert hb.guest_finished(SERIAL, None, x86) == "refvmm ended with status None (expected 1)"
    failed = ARM64_SERIAL.replace("hcabi-bench: done", "hcabi-bench: FAIL: a call returned a wrong result")
    assert hb.guest_finished(failed, 0, arm) == "the guest reported a failure"
    cut = ARM64_SERIAL.replace("hcabi-bench: done\n", "")
    assert hb.guest_finished(cut, 0, arm) == "the guest did not print its `done` line"
    # `done` inside another line is not the guest's end
    assert hb.guest_finished(cut + "hcabi-refvmm: jobs done\n", 0, arm) == "the guest did not print its `done` line"
    assert hb.guest_finished("hcabi-bench: done\n", 0, arm) == "the guest printed no results"


def test_options_per_architecture(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r, b = tmp_path / "hcabi-refvmm", tmp_path / "hcabi-bench.bin"
    r.write_text("")
    b.write_text("")
    a = hb.parse_args(["--arch", "arm64", "--refvmm", str(r), "--bench-image", str(b), "--out", "o"])
    assert a.arch == "arm64" and a.build_dir is None and a.dispatch is None
    try:
        hb.parse_args(["--arch", "arm64", "--refvmm", str(r), "--bench-image", str(tmp_path / "none.bin"), "--out", "o"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("a missing image was accepted")
    assert capsys.readouterr().err.strip().splitlines() == [
        f"hcabi-bench: error: --bench-image {tmp_path / 'none.bin'}: no such file (build it first: the bench targets do) (see --help)"
    ]
    try:
        hb.parse_args(["--refvmm", str(r), "--bench-image", str(b), "--out", "o", "--dispatch", "d"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("x86_64 without its options was accepted")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hcabi-bench: error: --arch x86_64 needs --build-dir, --smoke-image, --probe-image (see --help)"]
    try:
        hb.parse_args(["--arch", "s390x", "--refvmm", "r", "--bench-image", "b", "--out", "o"])
    except SystemExit as e:
        assert e.code == 2
    assert "argument --arch: invalid choice: 's390x'" in capsys.readouterr().err
    a = hb.parse_args(["--arch", "riscv64", "--refvmm", str(r), "--bench-image", str(b), "--out", "o"])
    assert a.arch == "riscv64" and a.build_dir is None and a.dispatch is None


def test_an_out_folder_that_cannot_be_made_is_one_line(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r, b, f = tmp_path / "hcabi-refvmm", tmp_path / "hcabi-bench.bin", tmp_path / "a-file"
    for p in (r, b, f):
        p.write_text("")
    assert hb.main(["--arch", "arm64", "--refvmm", str(r), "--bench-image", str(b), "--out", str(f / "out")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"hcabi-bench: error: --out {f / 'out'}: Not a directory"]
