"""abi.h's call wrappers, one block per architecture binding, and the per-function wrappers.

One job: the C text of the "call wrappers" part of abi.h (scripts/hcabi_gen_abi.py writes
the rest and calls gen_call_wrappers). Each architecture's block defines hcabi_callN
(N = 0..6: a function ID and N arguments, returning struct hcabi_ret) for its own
compiler target only; the per-function wrappers hcabi_<ext>_<function> are written once,
on top of hcabi_callN, for whichever block was compiled. The register use is each
binding's (spec/chapters/*-binding.adoc), cited by requirement ID: the IDs are the
registry's requirements with the `topic` a comment is about (cite), never typed here.
"""
from __future__ import annotations

import textwrap

import hcabi_registry as hr

NARGS = range(7)  # a function takes at most six arguments (the registry schema's maxItems)

# Defined by whichever architecture block below is compiled; the per-function wrappers need it.
HAVE = "HCABI__HAVE_CALL_WRAPPERS"


def cite(reg: hr.Registry, arch: str, *topics: str) -> str:
    """The requirement IDs of `arch`'s binding with these topics, in registry order, a run
    of consecutive numbers as FIRST..LAST: "ARM64-007..ARM64-009"."""
    ids = [rid for t in topics for rid in reg.topic_ids(arch, t)]
    runs: list[list[str]] = []
    for rid in ids:
        prev = runs[-1][-1] if runs else ""
        head, _, num = rid.rpartition("-")
        if prev.rpartition("-")[0] == head and num.isdigit() and prev.rpartition("-")[2].isdigit() \
                and int(num) == int(prev.rpartition("-")[2]) + 1:
            runs[-1].append(rid)
        else:
            runs.append([rid])
    return ", ".join(", ".join(r) if len(r) < 3 else f"{r[0]}..{r[-1]}" for r in runs)


def _comment(text: str) -> str:
    """A C block comment of `text` (one paragraph, white space collapsed), wrapped at 88 columns."""
    lines = textwrap.wrap(" ".join(text.split()), 85, break_long_words=False, break_on_hyphens=False)
    return "/* " + "\n * ".join(lines) + " */"


# The compiler's predefined macros that select each architecture's block (and the
# architecture's part of spec/generated/binding_reqs.h).
ARCH_CONDITION = {
    "x86_64": "defined(__x86_64__)",
    "arm64": "defined(__aarch64__)",
    "riscv64": "defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64",
}

# The topics each architecture's block cites (cite): what its comments are about.
CITED = {
    "x86_64": ("call", "function_id", "arguments", "result", "preserved"),
    "arm64": ("call", "function_id", "arguments", "result", "preserved", "discovery"),
    "riscv64": ("call", "function_id", "arguments", "result", "preserved", "discovery"),
}


def _params(n: int) -> str:
    return ", ".join(["uint32_t function_id"] + [f"uint64_t a{i}" for i in range(n)])


def _x86(o: list[str], reg: hr.Registry) -> None:
    c = lambda *t: cite(reg, "x86_64", *t)  # noqa: E731
    o.append(f"#if {ARCH_CONDITION['x86_64']} && !defined(HCABI_NO_CALL_WRAPPERS)")
    o.append(_comment(f"""Registers per the binding ({c("call", "function_id", "arguments", "result")}):
        VMCALL or VMMCALL, function ID in RAX, arguments in RDI, RSI, RDX, R10, R8, R9; status in
        RAX, value in RDX. Everything else is preserved ({c("preserved")}) except the arithmetic
        flags ("cc"). The hypervisor may read and write guest memory ("memory"). R8-R10 have no
        constraint letter, so they are loaded explicitly and declared clobbered by those loads."""))
    for insn in ("vmcall", "vmmcall"):
        for n in NARGS:
            o.append(f"static inline struct hcabi_ret hcabi_{insn}{n}({_params(n)})\n{{")
            o.append("\tuint64_t rax = function_id;")
            o.append(f"\tuint64_t rdx = {'a2' if n > 2 else '0'};")
            loads = []
            clob = ['"cc"', '"memory"']
            for i, reg_name in ((3, "r10"), (4, "r8"), (5, "r9")):
                if n > i:
                    loads.append(f"\"mov %[a{i}], %%{reg_name}\\n\\t\"")
                    clob.insert(0, f'"{reg_name}"')
            ins = []
            if n > 0:
                ins.append('"D"(a0)')
            if n > 1:
                ins.append('"S"(a1)')
            ins += [f"[a{i}] \"r\"(a{i})" for i in range(3, n)]
            body = "".join(f"\t\t{ln}\n" for ln in loads)
            o.append(f"\t__asm__ __volatile__(\n{body}\t\t\"{insn}\"")
            o.append("\t\t: \"+a\"(rax), \"+d\"(rdx)")
            o.append(f"\t\t: {', '.join(ins)}" if ins else "\t\t:")
            o.append(f"\t\t: {', '.join(clob)});")
            o.append("\tstruct hcabi_ret ret;")
            o.append("\tret.status = (int64_t)rax;")
            o.append("\tret.value = rdx;")
            o.append("\treturn ret;\n}")
    o.append("#if defined(HCABI_USE_VMMCALL)")
    for n in NARGS:
        o.append(f"#define hcabi_call{n} hcabi_vmmcall{n}")
    o.append("#else")
    for n in NARGS:
        o.append(f"#define hcabi_call{n} hcabi_vmcall{n}")
    o.append("#endif")
    o.append(f"#define {HAVE} 1")
    o.append("#endif /* __x86_64__ && !HCABI_NO_CALL_WRAPPERS */")


def _regvars(pairs: list[tuple[str, str, str | None]]) -> list[str]:
    """`register uint64_t NAME __asm__("REG") = VALUE;` lines (no initialiser for an output)."""
    return [f"\tregister uint64_t {name} __asm__(\"{reg}\")" + (f" = {value};" if value is not None else ";")
            for name, reg, value in pairs]


def _asm(insn: str, outs: list[str], ins: list[str], clobbers: list[str]) -> list[str]:
    return [f"\t__asm__ __volatile__(\"{insn}\"",
            f"\t\t: {', '.join(outs)}",
            f"\t\t: {', '.join(ins)}" if ins else "\t\t:",
            f"\t\t: {', '.join(clobbers)});"]


def _ret(status: str, value: str) -> list[str]:
    return ["\tstruct hcabi_ret ret;", f"\tret.status = (int64_t){status};", f"\tret.value = {value};",
            "\treturn ret;\n}"]


def _arm64(o: list[str], reg: hr.Registry) -> None:
    c = lambda *t: cite(reg, "arm64", *t)  # noqa: E731
    o.append(f"#if {ARCH_CONDITION['arm64']} && !defined(HCABI_NO_CALL_WRAPPERS)")
    o.append(_comment(f"""Registers per the binding ({c("call", "function_id", "arguments", "result")}):
        HVC #0 with x0 = HCABI_ARM64_CALL_ID, x1 = the function ID, arguments in x2..x7; status in
        x0, value in x1. Every other general register, SP, FP/SIMD/SVE state and DAIF are preserved
        ({c("preserved")}); NZCV is undefined after a call ("cc"). The hypervisor may read and
        write guest memory ("memory"). Explicit register variables: AArch64 has no constraint
        letter per register."""))
    for n in NARGS:
        o.append(f"static inline struct hcabi_ret hcabi_hvc{n}({_params(n)})\n{{")
        o += _regvars([("x0", "x0", "HCABI_ARM64_CALL_ID"), ("x1", "x1", "function_id")]
                      + [(f"x{i + 2}", f"x{i + 2}", f"a{i}") for i in range(n)])
        o += _asm("hvc #0", ['"+r"(x0)', '"+r"(x1)'], [f'"r"(x{i + 2})' for i in range(n)], ['"cc"', '"memory"'])
        o += _ret("x0", "x1")
    o.append(_comment(f"""Discovery ({c("discovery")}): x0..x3 after HVC #0 with x0 =
        HCABI_ARM64_DISCOVER_ID. HCABI is present only if they are 0,
        HCABI_CPUID_INTERFACE_SIGNATURE, 0, 0. The hypervisor may not implement HCABI, so this
        call assumes only SMCCC's rule for an unknown fast call: x4..x17 may be corrupted. Where
        no EL2 exists, HVC is an undefined instruction: the guest's exception handler must take
        that as "absent" (the arm64 binding chapter, Discovery)."""))
    o.append("static inline void hcabi_hvc_discover(uint64_t regs[4])\n{")
    o += _regvars([("x0", "x0", "HCABI_ARM64_DISCOVER_ID"), ("x1", "x1", None), ("x2", "x2", None),
                   ("x3", "x3", None)])
    o += _asm("hvc #0", ['"+r"(x0)', '"=r"(x1)', '"=r"(x2)', '"=r"(x3)'], [],
              [f'"x{i}"' for i in range(4, 18)] + ['"cc"', '"memory"'])
    o.append("\tregs[0] = x0;\n\tregs[1] = x1;\n\tregs[2] = x2;\n\tregs[3] = x3;\n}")
    o.append(_comment(f"1 if the hypervisor implements HCABI ({c('discovery')}), else 0."))
    o.append("""static inline int hcabi_discover(void)
{
	uint64_t r[4];
	hcabi_hvc_discover(r);
	return r[0] == 0 && r[1] == HCABI_CPUID_INTERFACE_SIGNATURE && r[2] == 0 && r[3] == 0;
}""")
    for n in NARGS:
        o.append(f"#define hcabi_call{n} hcabi_hvc{n}")
    o.append(f"#define {HAVE} 1")
    o.append("#endif /* __aarch64__ && !HCABI_NO_CALL_WRAPPERS */")


def _riscv64(o: list[str], reg: hr.Registry) -> None:
    c = lambda *t: cite(reg, "riscv64", *t)  # noqa: E731
    o.append(f"#if {ARCH_CONDITION['riscv64']} && !defined(HCABI_NO_CALL_WRAPPERS)")
    o.append(_comment(f"""Registers per the binding ({c("call", "function_id", "arguments", "result")}),
        SBI's calling convention: ECALL with a7 = HCABI_RISCV64_SBI_EID, a6 = the function ID,
        arguments in a0..a5; status in a0, value in a1. Every other register and the FP and vector
        state are preserved ({c("preserved")}); RISC-V has no flags. The hypervisor may read and
        write guest memory ("memory")."""))
    for n in NARGS:
        o.append(f"static inline struct hcabi_ret hcabi_ecall{n}({_params(n)})\n{{")
        o += _regvars([(f"r_a{i}", f"a{i}", f"a{i}" if i < n else None) for i in range(max(n, 2))]
                      + [("r_a6", "a6", "function_id"), ("r_a7", "a7", "HCABI_RISCV64_SBI_EID")])
        outs = [f'"{"+" if i < n else "="}r"(r_a{i})' for i in range(2)]
        ins = [f'"r"(r_a{i})' for i in range(2, n)] + ['"r"(r_a6)', '"r"(r_a7)']
        o += _asm("ecall", outs, ins, ['"memory"'])
        o += _ret("r_a0", "r_a1")
    o.append(_comment(f"SBI Base sbi_probe_extension(eid): status (SBI error) and value ({c('discovery')})."))
    o.append("static inline struct hcabi_ret hcabi_sbi_probe_extension(uint64_t eid)\n{")
    o += _regvars([("r_a0", "a0", "eid"), ("r_a1", "a1", None),
                   ("r_a6", "a6", "HCABI_RISCV64_SBI_PROBE_EXTENSION_FID"), ("r_a7", "a7", "HCABI_RISCV64_SBI_BASE_EID")])
    o += _asm("ecall", ['"+r"(r_a0)', '"=r"(r_a1)'], ['"r"(r_a6)', '"r"(r_a7)'], ['"memory"'])
    o += _ret("r_a0", "r_a1")
    o.append(_comment(f"1 if the hypervisor implements HCABI ({c('discovery')}), else 0."))
    o.append("""static inline int hcabi_discover(void)
{
	struct hcabi_ret r = hcabi_sbi_probe_extension(HCABI_RISCV64_SBI_EID);
	return r.status == 0 && r.value == HCABI_CPUID_INTERFACE_SIGNATURE;
}""")
    for n in NARGS:
        o.append(f"#define hcabi_call{n} hcabi_ecall{n}")
    o.append(f"#define {HAVE} 1")
    o.append("#endif /* __riscv && __riscv_xlen == 64 && !HCABI_NO_CALL_WRAPPERS */")


def gen_call_wrappers(reg: hr.Registry, wrapper_name) -> list[str]:
    """The lines from the "call wrappers" banner to the last per-function wrapper."""
    o = ["""/* ---- Call wrappers: x86-64, arm64 (AArch64) and riscv64 ---- */
/* The result of a call: the status (RAX, x0, a0) and the value (RDX, x1, a1). */
struct hcabi_ret {
	int64_t status;
	uint64_t value;
};
"""]
    _x86(o, reg)
    o.append("")
    _arm64(o, reg)
    o.append("")
    _riscv64(o, reg)
    o.append("")
    o.append(f"#if defined({HAVE})")
    o.append("/* One wrapper per function, named hcabi_<extension>_<function>. */")
    for fn in reg.functions():
        params = ", ".join(f"uint64_t {a.name}" for a in fn.args) or "void"
        args = "".join(f", {a.name}" for a in fn.args)
        o.append(f"static inline struct hcabi_ret {wrapper_name(fn)}({params})")
        o.append(f"{{\n\treturn hcabi_call{len(fn.args)}({fn.macro}{args});\n}}")
    o.append(f"#endif /* {HAVE} */")
    return o
