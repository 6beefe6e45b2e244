"""Tests of scripts/hcabi_tests_manifest.py (the conformance tests manifest).

Standard library unittest (pytest runs them too). Each test builds a small
tests/ tree, a requirements manifest and an abi.h in a temporary directory.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import textwrap
import unittest
import unittest.mock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import hcabi_tests_manifest as cli  # noqa: E402
import hcabi_tests_scan as m  # noqa: E402
import hcabi_coverage as cov  # noqa: E402

REQUIREMENTS = {
    "binding_areas": ["X86", "GEN"],
    "extensions": [{"name": "BASE", "since": "1.0"}, {"name": "TIME", "since": "1.0"}],
    "requirements": [
        {"id": "X86-001", "area": "X86", "since": "1.0"},
        {"id": "GEN-001", "area": "GEN", "since": "1.0"},
        {"id": "BASE-001", "area": "BASE", "since": "1.0"},
        {"id": "BASE-002", "area": "BASE", "since": "1.0"},
        {"id": "TIME-001", "area": "TIME", "since": "1.0"},
        {"id": "TIME-040", "area": "TIME", "since": "1.1"},
    ],
    # what the framework header's HCABI_IMPLIED_* name through HCABI_REQ_VALUE_ZERO
    "binding_macros": {arch: {"HCABI_REQ_VALUE_ZERO": "X86-001"} for arch in ("x86_64", "arm64", "riscv64")},
}

ABI_H = """
#define HCABI_VERSION_1_0 0x00010000u /* HCABI 1.0 */
#define HCABI_VERSION_1_1 0x00010001u /* HCABI 1.1 */
#define HCABI_VERSION_NEWEST HCABI_VERSION_1_1
#define HCABI_FID_BASE_GET_SPEC_VERSION_SINCE HCABI_VERSION_1_0
#define HCABI_FID_TIME_SET_PERIODIC_SINCE HCABI_VERSION_1_1
"""

IMAGE = "HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);\n"


class ManifestTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        (self.root / "requirements.json").write_text(json.dumps(REQUIREMENTS))
        (self.root / "abi.h").write_text(ABI_H)
        self.tests = self.root / "tests"
        self.tests.mkdir()

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def write(self, rel: str, text: str) -> Path:
        path = self.tests / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def scan(self):
        reg = m.load_registry(self.root / "requirements.json", self.root / "abi.h")
        return m.scan(self.tests, reg), reg

    def error(self) -> str:
        with self.assertRaises(m.ManifestError) as cm:
            self.scan()
        return str(cm.exception)

    def test_generates_the_runner_format(self) -> None:
        self.write("base/image.c", IMAGE)
        self.write(
            "base/a.c",
            """
            /* HCABI_TEST(commented, "BASE.no", "BASE-999", HCABI_VERSION_1_0) is not a test */
            HCABI_TEST(one, "BASE.get_spec_version", "BASE-001,BASE-002",
                       HCABI_FID_BASE_GET_SPEC_VERSION_SINCE)
            {
            }
            HCABI_TEST(two, "X86.x", "X86-001", HCABI_VERSION(1, 0)) {}
            """,
        )
        self.write("system-shutdown/s.c", 'HCABI_IMAGE(.ends = HCABI_ENDS_SHUTDOWN);\n'
                   'HCABI_TEST(s, "TIME.p", "TIME-040,TIME-001", HCABI_FID_TIME_SET_PERIODIC_SINCE) {}\n')
        (images, tests), _ = self.scan()
        doc = json.loads(m.render(images, tests))
        self.assertEqual(
            doc["images"],
            [
                {"name": "base", "file": "hcabi-conf-base.elf", "vcpus": 2, "memory_mib": 64, "ends": "exit"},
                {"name": "system-shutdown", "file": "hcabi-conf-system-shutdown.elf", "vcpus": 1,
                 "memory_mib": 64, "ends": "shutdown"},
            ],
        )
        self.assertEqual(
            doc["tests"][0],
            {"name": "BASE.get_spec_version", "image": "base", "extension": "BASE",
             "requirements": ["BASE-001", "BASE-002"], "since": "1.0", "checks": []},
        )
        self.assertEqual(doc["tests"][1]["extension"], "X86")
        self.assertEqual(doc["tests"][2]["since"], "1.1")
        self.assertEqual(set(doc), {"images", "tests"})

    def test_unknown_requirement(self) -> None:
        self.write("base/image.c", IMAGE)
        path = self.write("base/a.c", '\n\nHCABI_TEST(t, "BASE.t", "BASE-001,BASE-777", HCABI_VERSION_1_0) {}\n')
        msg = self.error()
        self.assertIn(f"{path}:3", msg)
        self.assertIn("unknown requirement BASE-777", msg)

    def test_duplicate_names(self) -> None:
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0) {}\n')
        self.write("time/image.c", IMAGE)
        self.write("time/b.c", 'HCABI_TEST(u, "BASE.t", "TIME-001", HCABI_VERSION_1_0) {}\n')
        msg = self.error()
        self.assertIn("duplicate test name BASE.t", msg)
        self.assertIn("a.c:1", msg)

    def test_malformed_declarations(self) -> None:
        cases = {
            'HCABI_TEST(t, "BASE.t", "BASE-001") {}': "takes 4 arguments",
            'HCABI_TEST(t, BASE.t, "BASE-001", HCABI_VERSION_1_0) {}': "must be a string literal",
            'HCABI_TEST(t, "base", "BASE-001", HCABI_VERSION_1_0) {}': "is malformed",
            'HCABI_TEST(t, "NOPE.t", "BASE-001", HCABI_VERSION_1_0) {}': "neither a registry extension",
            'HCABI_TEST(t, "BASE.t", "BASE-001, BASE-002", HCABI_VERSION_1_0) {}': "without spaces",
            'HCABI_TEST(t, "BASE.t", "", HCABI_VERSION_1_0) {}': "empty requirement",
            'HCABI_TEST(t, "BASE.t", "BASE-001,BASE-001", HCABI_VERSION_1_0) {}': "twice",
            'HCABI_TEST(t, "BASE.t", "BASE-001", 0x10000) {}': "is not a HCABI_VERSION_",
            'HCABI_TEST(t, "TIME.t", "TIME-040", HCABI_VERSION_1_0) {}': "newest requirement it cites is from 1.1",
            'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0 {}': "no closing parenthesis",
        }
        self.write("base/image.c", IMAGE)
        for decl, want in cases.items():
            with self.subTest(decl=decl):
                self.write("base/a.c", decl + "\n")
                self.assertIn(want, self.error())

    def test_image_declaration(self) -> None:
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0) {}\n')
        self.assertIn("has no HCABI_IMAGE", self.error())
        self.write("base/image.c", IMAGE)
        self.write("base/b.c", IMAGE)
        self.assertIn("one HCABI_IMAGE per folder", self.error())
        (self.tests / "base/b.c").unlink()
        for bad, want in (
            ("HCABI_IMAGE(.vcpus = 0);", "out of range"),
            ("HCABI_IMAGE(.cpus = 2);", "has no field .cpus"),
            ("HCABI_IMAGE(.ends = HCABI_ENDS_NEVER);", ".ends must be one of"),
            ("HCABI_IMAGE(vcpus = 2);", "is not `.field = value`"),
        ):
            with self.subTest(bad=bad):
                self.write("base/image.c", bad + "\n")
                self.assertIn(want, self.error())

    def test_coverage(self) -> None:
        self.write("base/image.c", IMAGE)
        # X86-001 is cited but no check names it: citing alone covers nothing
        self.write("base/a.c", '''HCABI_TEST(t, "BASE.t", "BASE-001,X86-001", HCABI_VERSION_1_0)
            { check_true(1, "BASE-001", "a"); }\n''')
        (images, tests), reg = self.scan()
        out = io.StringIO()
        self.assertEqual(cov.coverage(tests, reg, out), 1)
        text = out.getvalue()
        self.assertIn("1 of 6 atomic requirements", text)
        self.assertIn("uncovered: BASE-002 (since 1.0)", text)
        self.assertIn("uncovered: X86-001 (since 1.0)", text)
        self.assertNotIn("uncovered: BASE-001", text)

    def test_coverage_per_architecture(self) -> None:
        """--arch: a binding's requirements count only on its architecture, a neutral one
        everywhere except where a binding replaces it (`not_on`)."""
        doc = json.loads(json.dumps(REQUIREMENTS))
        doc["architectures"] = {"x86_64": ["X86"], "arm64": ["ARM64"]}
        doc["requirements"] += [{"id": "ARM64-001", "area": "ARM64", "since": "1.0"}]
        doc["requirements"][3]["not_on"] = ["arm64"]  # BASE-002
        (self.root / "requirements.json").write_text(json.dumps(doc))
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", '''HCABI_TEST(t, "BASE.t", "BASE-001,BASE-002,X86-001,GEN-001,TIME-001,TIME-040",
            HCABI_VERSION_1_1) { check_true(1, "BASE-001", "a"); check_true(1, "BASE-002", "b");
            check_true(1, "X86-001", "c"); check_true(1, "GEN-001", "d"); check_true(1, "TIME-001", "e");
            check_true(1, "TIME-040", "f"); }\n''')
        (images, tests), reg = self.scan()
        out = io.StringIO()
        self.assertEqual(cov.coverage(tests, reg, out), 0, out.getvalue())
        self.assertIn("6 of 6 atomic requirements are checked by at least one test (7 requirements, 0 of them in "
                      "0 parts), of those that apply on x86_64", out.getvalue())
        out = io.StringIO()
        self.assertEqual(cov.coverage(tests, reg, out, arch="arm64"), 1)
        text = out.getvalue()
        self.assertIn("4 of 5 atomic requirements", text)  # no X86-001, no BASE-002
        self.assertIn("of those that apply on arm64", text)
        self.assertIn("uncovered: ARM64-001 (since 1.0)", text)

    def parted(self) -> None:
        """BASE-002 gets two parts."""
        doc = json.loads(json.dumps(REQUIREMENTS))
        doc["requirements"][3]["parts"] = [{"id": "BASE-002.1", "text": "A MUST."}, {"id": "BASE-002.2", "text": "B MUST."}]
        (self.root / "requirements.json").write_text(json.dumps(doc))

    def test_coverage_per_part_with_sites(self) -> None:
        self.parted()
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", """
            static const struct { const char *req, *what; } cases[] = {
                {"BASE-002.2", "case two"},
            };
            HCABI_TEST(t, "BASE.t", "BASE-001,BASE-002.1,BASE-002.2", HCABI_VERSION_1_0)
            {
                check_true(1, "BASE-001", "first %d", 1);
                check_eq_u64(1, 1, "BASE-002.1",
                             "second " "joined");
                check_true(1, cases[0].req, "%s", cases[0].what);
            }
            """)
        (images, tests), reg = self.scan()
        self.assertEqual(tests[0].checks, ["BASE-001", "BASE-002.1", "BASE-002.2"])
        self.assertEqual(reg.requirements["BASE-002.2"], "1.0")
        self.assertEqual(reg.parent["BASE-002.2"], "BASE-002")
        self.assertNotIn("BASE-002", reg.atomic())
        out = io.StringIO()
        json_path = self.root / "coverage.json"
        self.assertEqual(cov.coverage(tests, reg, out, report=True, json_out=json_path), 1)
        text = out.getvalue()
        self.assertIn("3 of 7 atomic requirements are checked by at least one test "
                      "(6 requirements, 1 of them in 2 parts)", text)
        self.assertIn("BASE-002.1 (part of BASE-002, since 1.0): 1 check(s)", text)
        self.assertRegex(text, r"\n    BASE\.t  \S*base/a\.c:8  second joined\n")
        self.assertRegex(text, r"\n    BASE\.t  \S*base/a\.c:3  case two\n")
        self.assertIn("TIME-001 (since 1.0): UNCOVERED", text)
        self.assertNotIn("uncovered: BASE-002 ", text)  # a requirement with parts is covered by its parts
        doc = json.loads(json_path.read_text())
        self.assertEqual(doc["requirements"]["BASE-002.2"]["parent"], "BASE-002")
        self.assertEqual([c["message"] for c in doc["requirements"]["BASE-001"]["checks"]], ["first %d"])
        self.assertNotIn("BASE-002", doc["requirements"])

    def test_citing_a_requirement_that_has_parts_fails_coverage(self) -> None:
        self.parted()
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", '''HCABI_TEST(t, "BASE.t", "BASE-002,BASE-002.1", HCABI_VERSION_1_0)
            { check_true(1, "BASE-002", "whole"); check_true(1, "BASE-002.1", "part"); }\n''')
        (images, tests), reg = self.scan()
        out = io.StringIO()
        self.assertEqual(cov.coverage(tests, reg, out), 1)
        text = out.getvalue()
        self.assertIn("test BASE.t cites BASE-002, which has parts (BASE-002.1, BASE-002.2): "
                      "cite the parts its checks check", text)
        # the whole's check does not cover the part it did not name
        self.assertIn("uncovered: BASE-002.2 (part of BASE-002, since 1.0)", text)
        self.assertNotIn("uncovered: BASE-002.1", text)

    def test_checks_per_test_follow_helpers_tables_and_implied(self) -> None:
        self.write("base/image.c", IMAGE)
        self.write("base/common.h", """
            static inline void shared_helper(void) { check_true(1, "GEN-001", "x"); }
            """)
        self.write("base/a.c", """
            #include "common.h"
            static const struct { const char *req; } cases[] = {{"BASE-002"}};
            static void task(void *arg) { check_status(r, 0, "TIME-001", "y"); }
            static void unused(void) { check_true(1, "X86-001", "never reached"); }
            /* "BASE-999" in a comment is no check */
            HCABI_TEST(one, "BASE.one", "BASE-001", HCABI_VERSION_1_0)
            {
                check_true(1, "BASE-001", "a");
                check_true(1, cases[0].req, "b");
                shared_helper();
            }
            HCABI_TEST(two, "BASE.two", "BASE-001,TIME-001,X86-001,GEN-001", HCABI_VERSION_1_0)
            {
                test_run_on_cpu(1, task, 0);
            }
            """)
        reg = m.load_registry(self.root / "requirements.json", self.root / "abi.h")
        implied = {"check_status": ["X86-001"], "test_run_on_cpu": ["GEN-001"]}
        _, tests = m.scan(self.tests, reg, implied)
        by = {t.name: t for t in tests}
        # a table it reads and a helper of an included header count; an
        # unreached function and a comment do not; the test's own cited list
        # is not a check
        self.assertEqual(by["BASE.one"].checks, ["BASE-001", "BASE-002", "GEN-001"])
        self.assertEqual(by["BASE.one"].uncited(), ["BASE-002", "GEN-001"])
        # a task passed by name, and what the helpers it calls imply
        self.assertEqual(by["BASE.two"].checks, ["GEN-001", "TIME-001", "X86-001"])
        self.assertEqual(by["BASE.two"].uncited(), [])
        self.assertEqual(json.loads(m.render([], tests))["tests"][0]["checks"],
                         ["BASE-001", "BASE-002", "GEN-001"])
        out = io.StringIO()
        self.assertEqual(cov.coverage(tests, reg, out), 1)
        self.assertIn("test BASE.one checks BASE-002 but does not cite it", out.getvalue())

    def test_implied_requirements_from_the_framework_header(self) -> None:
        header = self.root / "hcabi_test.h"
        header.write_text(textwrap.dedent("""
            #define HCABI_REQ_A "X86-005" /* why */
            #define HCABI_REQ_B "VCPU-024"
            #define HCABI_IMPLIED_check_status HCABI_REQ_A
            #define HCABI_IMPLIED_test_run_on_cpu HCABI_REQ_B "," "VCPU-030"
            """))
        self.assertEqual(cli.read_implied(header),
                         {"check_status": ["X86-005"], "test_run_on_cpu": ["VCPU-024", "VCPU-030"]})
        header.write_text('#define HCABI_IMPLIED_check_ret HCABI_NOPE\n')
        with self.assertRaises(cli.ChecksError) as cm:
            cli.read_implied(header)
        self.assertIn("HCABI_IMPLIED_check_ret", str(cm.exception))
        header.write_text("/* nothing */\n")
        with self.assertRaises(cli.ChecksError):
            cli.read_implied(header)

    def test_a_binding_macro_is_the_requirement_of_the_architecture_scanned(self) -> None:
        """HCABI_REQ_VALUE_ZERO (spec/generated/binding_reqs.h) in a test's list and in an
        implied list is X86-005 on x86-64 and ARM64-009 on arm64: an arm64 manifest never
        cites the x86-64 binding's requirement."""
        reqs = dict(REQUIREMENTS, architectures={"x86_64": ["X86"], "arm64": ["ARM64"]},
                    binding_macros={"x86_64": {"HCABI_REQ_VALUE_ZERO": "X86-005"},
                                    "arm64": {"HCABI_REQ_VALUE_ZERO": "ARM64-009"}})
        reqs["binding_areas"] = ["X86", "GEN", "ARM64"]
        reqs["requirements"] = REQUIREMENTS["requirements"] + [
            {"id": "X86-005", "area": "X86", "since": "1.0"}, {"id": "ARM64-009", "area": "ARM64", "since": "1.0"}]
        (self.root / "requirements.json").write_text(json.dumps(reqs))
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_0)\n'
                               '{ check_status(r, 0, "BASE-001", "x"); }\n')
        header = self.root / "hcabi_test.h"
        header.write_text("#define HCABI_IMPLIED_check_status HCABI_REQ_VALUE_ZERO\n")
        common = ["--tests-dir", str(self.tests), "--requirements", str(self.root / "requirements.json"),
                  "--abi", str(self.root / "abi.h"), "--framework-header", str(header)]
        for arch, rid in (("x86_64", "X86-005"), ("arm64", "ARM64-009")):
            out = self.root / arch / "tests.json"
            with unittest.mock.patch("sys.stderr", io.StringIO()):
                self.assertEqual(cli.main(["generate", "--arch", arch, "--out", str(out)] + common), 0)
                self.assertEqual(cli.main(["check", "--arch", arch] + common), 0)
            test = json.loads(out.read_text())["tests"][0]
            self.assertEqual((test["requirements"], test["checks"]), (["BASE-001", rid], sorted(["BASE-001", rid])))
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001," HCABI_REQ_NOPE, HCABI_VERSION_1_0) {}\n')
        self.assertIn("a.c:1: HCABI_REQ_NOPE in the requirement list is no binding macro", self.error())

    def test_main_check_fails_on_an_uncited_check(self) -> None:
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0) '
                               '{ check_true(1, "BASE-002", "x"); }\n')
        header = self.root / "hcabi_test.h"
        header.write_text('#define HCABI_IMPLIED_check_status "X86-001"\n')
        out = self.root / "build" / "tests.json"
        common = ["--tests-dir", str(self.tests), "--requirements", str(self.root / "requirements.json"),
                  "--abi", str(self.root / "abi.h"), "--framework-header", str(header)]
        err = io.StringIO()
        with unittest.mock.patch("sys.stderr", err):
            self.assertEqual(cli.main(["check"] + common), 1)
            # generate still writes, so that hcabi-conform coverage can tell
            self.assertEqual(cli.main(["generate", "--out", str(out)] + common), 0)
        self.assertIn("a.c:1: test BASE.t checks BASE-002 but does not cite it", err.getvalue())
        self.assertEqual(json.loads(out.read_text())["tests"][0]["checks"], ["BASE-002"])

    def test_deeply_nested_requirements_is_one_line(self) -> None:
        """A requirements manifest nested past the parser's limit is a message
        naming the file, never a RecursionError traceback."""
        deep = self.root / "deep.json"
        deep.write_text('{"requirements": ' + "[" * 100000 + "]" * 100000 + "}")
        with self.assertRaises(m.ManifestError) as caught:
            m.load_registry(deep, self.root / "abi.h")
        self.assertIn("deep.json: cannot read the requirements manifest: JSON nested too deeply", str(caught.exception))

    def test_main_writes_only_on_change(self) -> None:
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0) {}\n')
        out = self.root / "build" / "tests.json"
        args = ["generate", "--tests-dir", str(self.tests), "--requirements",
                str(self.root / "requirements.json"), "--abi", str(self.root / "abi.h"), "--out", str(out)]
        self.assertEqual(cli.main(args), 0)
        first = out.stat().st_mtime_ns
        self.assertEqual(cli.main(args), 0)
        self.assertEqual(out.stat().st_mtime_ns, first)
        self.assertEqual(json.loads(out.read_text())["tests"][0]["name"], "BASE.t")
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-404", HCABI_VERSION_1_0) {}\n')
        self.assertEqual(cli.main(args), 1)

    def test_main_selects_images_and_names_their_files(self) -> None:
        """An architecture's build that compiles only some folders lists just
        those images and their tests, under its own file suffix (arm64: .bin);
        an unknown image is an error naming it."""
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0) {}\n')
        self.write("time/image.c", IMAGE)
        self.write("time/a.c", 'HCABI_TEST(u, "TIME.u", "TIME-001", HCABI_VERSION_1_0) {}\n')
        out = self.root / "build" / "tests.json"
        common = ["generate", "--tests-dir", str(self.tests), "--requirements",
                  str(self.root / "requirements.json"), "--abi", str(self.root / "abi.h"), "--out", str(out)]
        self.assertEqual(cli.main(common + ["--image", "time", "--image-suffix", ".bin"]), 0)
        doc = json.loads(out.read_text())
        self.assertEqual([(i["name"], i["file"]) for i in doc["images"]], [("time", "hcabi-conf-time.bin")])
        self.assertEqual([t["name"] for t in doc["tests"]], ["TIME.u"])
        self.assertEqual(cli.main(common), 0)
        self.assertEqual([i["file"] for i in json.loads(out.read_text())["images"]],
                         ["hcabi-conf-base.elf", "hcabi-conf-time.elf"])
        err = io.StringIO()
        with unittest.mock.patch("sys.stderr", err):
            self.assertEqual(cli.main(common + ["--image", "x86"]), 1)
        self.assertIn("--image x86: no such image", err.getvalue())

    def test_main_lists_an_architectures_own_part_of_a_folder_only_for_it(self) -> None:
        """A folder's arch/ARCH/ is only ARCH's: --arch arm64 lists the tests and checks
        of base/arch/arm64/ and not those of base/arch/x86_64/ (nor the other way round),
        and the folder's other files for both."""
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", 'HCABI_TEST(t, "BASE.t", "BASE-001", HCABI_VERSION_1_0) {}\n')
        self.write("base/arch/x86_64/x.c",
                   'HCABI_TEST(x, "BASE.x", "X86-001", HCABI_VERSION_1_0) { check_true(1, "X86-001", "x"); }\n')
        self.write("base/arch/arm64/y.c",
                   'HCABI_TEST(y, "BASE.y", "BASE-002", HCABI_VERSION_1_0) { check_true(1, "BASE-002", "y"); }\n')
        out = self.root / "build" / "tests.json"
        common = ["generate", "--tests-dir", str(self.tests), "--requirements",
                  str(self.root / "requirements.json"), "--abi", str(self.root / "abi.h"), "--out", str(out)]
        listed = {}
        for arch in ("x86_64", "arm64"):
            self.assertEqual(cli.main(common + ["--arch", arch]), 0)
            listed[arch] = {t["name"]: t["checks"] for t in json.loads(out.read_text())["tests"]}
        self.assertEqual(listed["x86_64"], {"BASE.t": [], "BASE.x": ["X86-001"]})
        self.assertEqual(listed["arm64"], {"BASE.t": [], "BASE.y": ["BASE-002"]})
        reg = m.load_registry(self.root / "requirements.json", self.root / "abi.h")
        self.assertEqual(sorted(t.name for t in m.scan(self.tests, reg)[1]), ["BASE.t", "BASE.x", "BASE.y"])

    def test_main_check_fails_on_a_whole_citation_of_a_requirement_with_parts(self) -> None:
        self.parted()
        self.write("base/image.c", IMAGE)
        self.write("base/a.c", '''HCABI_TEST(t, "BASE.t", "BASE-002", HCABI_VERSION_1_0)
            { check_true(1, "BASE-002", "x"); }\n''')
        header = self.root / "hcabi_test.h"
        header.write_text('#define HCABI_IMPLIED_check_status "X86-001"\n')
        out = self.root / "build" / "tests.json"
        common = ["--tests-dir", str(self.tests), "--requirements", str(self.root / "requirements.json"),
                  "--abi", str(self.root / "abi.h"), "--framework-header", str(header)]
        err, stdout = io.StringIO(), io.StringIO()
        with unittest.mock.patch("sys.stderr", err), unittest.mock.patch("sys.stdout", stdout):
            self.assertEqual(cli.main(["check"] + common), 1)
            self.assertEqual(cli.main(["generate", "--out", str(out)] + common), 0)  # a warning only
            self.assertEqual(cli.main(["coverage", "--report"] + common), 1)
        self.assertIn("a.c:1: test BASE.t cites BASE-002, which has parts (BASE-002.1, BASE-002.2)",
                      err.getvalue())
        self.assertIn("BASE-002.1 (part of BASE-002, since 1.0): UNCOVERED", stdout.getvalue())
        # --report belongs to coverage: elsewhere a usage error (exit 2)
        with unittest.mock.patch("sys.stderr", io.StringIO()), self.assertRaises(SystemExit) as cm:
            cli.main(["check", "--report"] + common)
        self.assertEqual(cm.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
