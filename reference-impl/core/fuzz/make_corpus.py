#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make_corpus.py - seed inputs for the libFuzzer harnesses of libhcabi_ref.

Writes, in the input formats of fuzz_dispatch.c and fuzz_batch.c, the calls a
conformance run makes: for every function of spec/generated/requirements.json
(the function list and argument names come from there, never from a list in
this file) a valid call, then one seed per invalid-argument class of each
argument (chosen by the argument's name), a failing host callback where the
function has one, the call as a BATCH.EXECUTE entry, and the binding's cases
(RAX[63:32], reserved and unknown function IDs in every EID range, CPL 3, a
vCPU index the VMM got wrong), at every version and RAM layout.

Standard library only; the CMake build runs it at build time, so nothing
binary is committed.

usage: make_corpus.py --requirements spec/generated/requirements.json
                      --out DIR [--batch-out DIR] [--dict FILE]
"""

import argparse
import json
import os
import struct
import sys

# ---- The harness's input format (fuzz_dispatch.c's header comment) --------

U64 = (1 << 64) - 1


def u8(v):
    return bytes([v & 0xFF])


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & U64)


# header: version index (0 newest, i: the i-th version), vCPU selector (5: 4
# vCPUs), layout (0: [0,64K) + [128K,160K)), CPUID base selector
NVCPUS = 4
VCPU_SEL = 5
LAYOUTS = 5


def header(version=0, vcpu_sel=VCPU_SEL, layout=0, cpuid=0):
    return u8(version) + u8(vcpu_sel) + u8(layout) + u8(cpuid)


def fid_raw(fid):
    return (b"\xE0" + u32(fid)) if fid <= 0xFFFFFFFF else (b"\xF0" + u64(fid))


def arg(v):
    """An exact argument value."""
    v &= U64
    return u8(v) if v < 0x40 else b"\xF8" + u64(v)


def arg_gpa(kind, rng, d, mis=0):
    """A GPA relative to the layout (fz_decode_gpa)."""
    return u8(0x40 | (mis << 3) | kind) + u8(rng) + u16(d)


def slot(k):
    return arg_gpa(7, k, 0)


def call(fid_enc, args, ctl=0x00):
    args = list(args) + [arg(0)] * (6 - len(args))
    return u8(0x00) + u8(ctl) + fid_enc + b"".join(args)


def failing_call(kind, fid_enc, args, skip=0, ctl=0x00):
    return u8(0xE0) + u8(kind) + u8(skip) + call(fid_enc, args, ctl)[1:]


def boot_state(gpa_enc, variant=0, argv=0):
    return u8(0xA0) + gpa_enc + u8(variant) + u8(argv)


def batch_table(gpa_enc, entries):
    out = u8(0xA8) + gpa_enc + u8(len(entries))
    for fid_enc, args in entries:
        args = list(args) + [arg(0)] * (6 - len(args))
        out += fid_enc + b"".join(args)
    return out


def platform(kind, payload=b""):
    return u8(0xC0 | kind) + payload


def console_input(data):
    return platform(4, u8(len(data)) + data)


# Layout 0, where the seeds' raw addresses live: RAM [0, 0x10000) and
# [0x20000, 0x28000); slot 0 = 0x1000 (a boot state), slot 1 = 0x2000.
RAM0_END = 0x10000
HOLE = 0x18000
RAM_END = 0x28000

# ---- Argument values by argument name (requirements.json's args) ----------

# A valid value, by "EXT.FUNCTION:arg" or by argument name.
VALID = {
    "gpa": 0x4000,
    "len": 16,
    "byte": 0x41,
    "eid": 1,
    "function_id": 0x00010000,
    "deadline": 2000000,
    "first": 2000000,
    "period": 1000000,
    "vector": 0x40,
    "vcpu": 1,
    "VCPU.START:vcpu": 3,
    "boot_state": 0x1000,
    "target": 1,
    "timeout": 1000,
    "mask": 0x3,
    "base": 0,
    "gva": 0x400000,
    "npages": 4,
    "MEM.RELEASE:gpa": 0x8000,
    "MEM.RELEASE:npages": 1,
    "MEM.GET_LAYOUT:gpa": 0x5000,
    "max_entries": 4,
    "STEAL.SET_SHMEM:gpa": 0x6000,
    "BATCH.EXECUTE:gpa": 0x2000,
    "count": 3,
    "code": 7,
}

GPA_CLASSES = [
    ("misaligned", lambda v: v + 1),
    ("hole", lambda v: HOLE),
    ("end", lambda v: RAM_END),
    ("cross-end", lambda v: RAM0_END - 8),
    ("top", lambda v: U64 - 7),
    ("zero", lambda v: 0),
    ("high", lambda v: 1 << 63),
    ("all-ones", lambda v: U64),  # STEAL.SET_SHMEM: HCABI_STEAL_DISABLE
]

# Invalid (and boundary) classes, by argument name.
CLASSES = {
    "gpa": GPA_CLASSES,
    "boot_state": GPA_CLASSES,
    "len": [("0", 0), ("max", 4096), ("max+1", 4097), ("cross", 0x10000), ("all", U64)],
    "byte": [("ff", 0xFF), ("reserved", 0x100), ("all", U64)],
    "eid": [("0", 0), ("std-unknown", 0x7FFF), ("experimental", 0x8000), ("vendor", 0xC000),
            ("ffff", 0xFFFF), ("reserved", 0x10000)],
    "function_id": [("0", 0), ("reserved-fid", 0xF), ("unknown", 0xFFFFFFFF),
                    ("reserved", 1 << 32)],
    "deadline": [("0", 0), ("max", U64)],
    "first": [("0", 0), ("max", U64)],
    "period": [("0", 0), ("min-1", 99999), ("min", 100000), ("max", U64)],
    "vector": [("0", 0), ("31", 31), ("32", 32), ("255", 255), ("bit8", 0x100), ("bit8+32", 0x120),
               ("1ff", 0x1FF), ("all", U64)],
    "vcpu": [("0", 0), ("last", NVCPUS - 1), ("count", NVCPUS), ("count+1", NVCPUS + 1),
             ("u32", 0xFFFFFFFF), ("all", U64)],
    "target": [("any", U64), ("count", NVCPUS), ("0", 0)],
    "timeout": [("0", 0), ("forever", U64), ("huge", 1 << 63)],
    "mask": [("0", 0), ("last", 1 << (NVCPUS - 1)), ("count", 1 << NVCPUS), ("bit63", 1 << 63),
             ("all", U64)],
    "base": [("1", 1), ("last", NVCPUS - 1), ("count", NVCPUS), ("all", U64), ("wrap", U64 - 62)],
    "gva": [("misaligned", 0x400001), ("lower-top", 0x00007FFFFFFFF000),
            ("noncanonical", 0x0000800000000000), ("upper", 0xFFFF800000000000),
            ("top", 0xFFFFFFFFFFFFF000)],
    "npages": [("0", 0), ("1", 1), ("cross", 16), ("overflow", U64 // 4096 + 1), ("all", U64)],
    "max_entries": [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("all", U64)],
    "count": [("0", 0), ("1", 1), ("max", 64), ("max+1", 65), ("all", U64)],
    "code": [("0", 0), ("ff", 0xFF), ("reserved", 0x100), ("all", U64)],
}
GENERIC = [("0", 0), ("1", 1), ("all", U64)]

# Boot-state content variants (fuzz_dispatch.c's boot_state()).
BOOT_VARIANTS = [("noncanonical-rip", 1), ("cr3-misaligned", 2), ("cr3-outside", 4), ("cs-rpl", 8),
                 ("ds-null", 16), ("flags", 32), ("reserved0", 64), ("upper-rip", 128)]

# Host failures worth injecting into a function: the numbers of fz_model.h's
# enum (FK_MEM_READ = 1 ... FK_TARMP = 25).
FAILURES = {
    "CONSOLE.WRITE": [1, 15, 16, 17, 18],
    "CONSOLE.WRITE_BYTE": [15, 16, 18],
    "CONSOLE.READ": [2, 19, 20, 21],
    "TIME.GET_MONOTONIC": [24],
    "TIME.SET_TIMER": [11],
    "TIME.SET_PERIODIC": [25],
    "TIME.CANCEL_TIMER": [12],
    "VCPU.START": [1, 5],
    "VCPU.STOP": [12],
    "VCPU.BLOCK": [6, 22],
    "VCPU.KICK": [7, 8],
    "IPI.SEND": [9, 10],
    "TLB.FLUSH": [13, 14],
    "MEM.RELEASE": [3, 4],
    "MEM.GET_LAYOUT": [2],
    "STEAL.SET_SHMEM": [2, 23],
    "BATCH.EXECUTE": [1, 2],
}


def functions(req):
    out = []
    for ext in req["extensions"]:
        for fn in ext["functions"]:
            out.append({
                "name": "%s.%s" % (ext["name"], fn["name"]),
                "id": fn["function_id"],
                "eid": ext["eid"],
                "args": fn["args"],
                "returns": "SUCCESS" in fn["statuses"],
                "since": fn["since"],
            })
    return out


def valid_args(fn):
    vals = []
    for a in fn["args"]:
        vals.append(VALID.get("%s:%s" % (fn["name"], a), VALID.get(a, 0)))
    return vals


# The prologue every dispatch seed starts with: a boot state at slot 0,
# vCPUs 1 and 2 started, some console input, the clock moved on.
def prologue():
    return (boot_state(slot(0)) + console_input(b"hello, hcabi\n") + platform(0, u16(100)))


def start_call(fns, vcpu):
    for fn in fns:
        if fn["name"] == "VCPU.START":
            return call(fid_raw(fn["id"]), [arg(vcpu), arg(0x1000)])
    return b""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requirements", required=True)
    ap.add_argument("--out", required=True, help="seed directory of fuzz_dispatch")
    ap.add_argument("--batch-out", help="seed directory of fuzz_batch")
    ap.add_argument("--dict", help="libFuzzer dictionary to write")
    ap.add_argument("--stamp", help="file to touch when done")
    args = ap.parse_args(argv)

    with open(args.requirements, encoding="utf-8") as f:
        req = json.load(f)
    fns = functions(req)
    versions = [v["version"] for v in req["versions"]]
    if not fns:
        print("make_corpus.py: no function in %s" % args.requirements, file=sys.stderr)
        return 1

    seeds = {}

    def add(name, body, hdr=None):
        seeds[name] = (hdr if hdr is not None else header()) + body

    pro = prologue() + start_call(fns, 1) + start_call(fns, 2)
    ends = lambda fn: not fn["returns"]  # SHUTDOWN, REBOOT, CRASH, STOP

    for fn in fns:
        name, fe, vals = fn["name"], fid_raw(fn["id"]), valid_args(fn)
        add("%s-valid" % name, pro + call(fe, [arg(v) for v in vals]))
        # each argument's classes, the others valid
        for i, a in enumerate(fn["args"]):
            for label, cls in CLASSES.get(a, GENERIC):
                v = cls(vals[i]) if callable(cls) else cls
                av = list(vals)
                av[i] = v
                body = call(fe, [arg(x) for x in av])
                add("%s-%s-%s" % (name, a, label), pro + body)
                # the same value with every other argument 0 (e.g. a
                # vector's upper bits with mask and base 0)
                z = [0] * len(vals)
                z[i] = v
                add("%s-%s-%s-others-0" % (name, a, label), pro + call(fe, [arg(x) for x in z]))
            # a reserved bit above every argument
            av = list(vals)
            av[i] |= 1 << 63
            add("%s-%s-bit63" % (name, a), pro + call(fe, [arg(x) for x in av]))
        # arguments beyond the count are ignored (X86-003)
        extra = [arg(v) for v in vals] + [arg(U64)] * (6 - len(vals))
        add("%s-extra-args" % name, pro + call(fe, extra))
        if "boot_state" in fn["args"]:
            for label, variant in BOOT_VARIANTS:
                add("%s-bootstate-%s" % (name, label),
                    pro + boot_state(slot(0), variant) + call(fe, [arg(v) for v in vals]))
            # the boot state at the very end of RAM, and across the end
            add("%s-bootstate-at-end" % name,
                pro + boot_state(slot(3)) + call(fe, [arg(vals[0]), slot(3)]))
            add("%s-bootstate-across-end" % name,
                pro + boot_state(arg_gpa(1, 1, 32)) + call(fe, [arg(vals[0]), arg_gpa(1, 1, 32)]))
        # the binding: RAX[63:32], CPL 3, a bad vCPU index from the VMM
        add("%s-rax-high" % name, pro + call(fid_raw(fn["id"] | (1 << 32)), [arg(v) for v in vals]))
        add("%s-rax-all-high" % name,
            pro + call(fid_raw(fn["id"] | 0xFFFFFFFF00000000), [arg(v) for v in vals]))
        add("%s-cpl3" % name, pro + call(fe, [arg(v) for v in vals], ctl=0xF1))
        add("%s-cpl1" % name, pro + call(fe, [arg(v) for v in vals], ctl=0xE0))
        add("%s-bad-vcpu" % name, pro + call(fe, [arg(v) for v in vals], ctl=0xFF))
        add("%s-from-vcpu2" % name, pro + call(fe, [arg(v) for v in vals], ctl=0x02))
        # host failures
        for kind in FAILURES.get(name, []):
            for skip in (0, 1):
                add("%s-fail-%d-%d" % (name, kind, skip),
                    pro + failing_call(kind, fe, [arg(v) for v in vals], skip))
        # as a BATCH.EXECUTE entry, between two harmless ones
        batch = next((f for f in fns if f["name"] == "BATCH.EXECUTE"), None)
        if batch is not None and fns:
            first = fid_raw(fns[0]["id"])
            entries = [(first, []), (fe, [arg(v) for v in vals]), (first, [])]
            add("%s-in-batch" % name,
                pro + batch_table(slot(1), entries) +
                call(fid_raw(batch["id"]), [slot(1), arg(len(entries))]))
        # at every version
        for vi in range(len(versions)):
            add("%s-version-%s" % (name, versions[vi]),
                pro + call(fe, [arg(v) for v in vals]), header(version=vi + 1))
        # at every layout, with GPAs near the ends of each range
        for layout in range(1, LAYOUTS):
            gargs = []
            for a, v in zip(fn["args"], vals):
                gargs.append(arg_gpa(6, 1, 9) if a in ("gpa", "boot_state") else arg(v))
            add("%s-layout-%d" % (name, layout), pro + call(fe, gargs), header(layout=layout))

    # every valid call in one program (the SYSTEM and STOP ones last), and
    # the same at every version
    order = [f for f in fns if not ends(f)] + [f for f in fns if ends(f)]
    prog = b"".join(call(fid_raw(f["id"]), [arg(v) for v in valid_args(f)]) for f in order)
    add("all-functions", pro + prog)
    for vi in range(len(versions)):
        add("all-functions-version-%s" % versions[vi], pro + prog, header(version=vi + 1))
    for n in (1, 2, 3, 8, 11, 12, 13, 15):
        add("all-functions-vcpus-%d" % n, pro + prog, header(vcpu_sel=n))
    # every function as a batch entry in one table (it stops at the first
    # failure: BATCH-003), and a full table of 64
    batch = next((f for f in fns if f["name"] == "BATCH.EXECUTE"), None)
    if batch is not None:
        ents = [(fid_raw(f["id"]), [arg(v) for v in valid_args(f)]) for f in order if f["returns"]]
        ents = ents[:64]
        add("batch-all", pro + batch_table(slot(1), ents) +
            call(fid_raw(batch["id"]), [slot(1), arg(len(ents))]))
        full = (ents * 64)[:64]
        add("batch-full-at-end", pro + batch_table(slot(2), full) +
            call(fid_raw(batch["id"]), [slot(2), arg(64)]))
        add("batch-crossing-end", pro + batch_table(slot(4), full[:4]) +
            call(fid_raw(batch["id"]), [slot(4), arg(4)]))

    # function IDs no function has: reserved FIDs, unknown FIDs of each
    # extension, unknown EIDs in the standard, experimental and vendor ranges
    for i in range(8):
        add("reserved-fid-%d" % i, pro + call(b"\xC0" + u8(i), []))
    for ext in req["extensions"]:
        fids = {f["fid"] for f in ext["functions"]}
        unknown = next(x for x in range(0x10000) if x not in fids)
        add("unknown-fid-%s" % ext["name"], pro + call(fid_raw((ext["eid"] << 16) | unknown), []))
    top = max(e["eid"] for e in req["extensions"])
    for label, eid in (("next-standard", top + 1), ("last-standard", 0x7FFF),
                       ("experimental", 0x8000), ("vendor", 0xC000), ("ffff", 0xFFFF)):
        add("unknown-eid-%s" % label, pro + call(fid_raw(eid << 16), []))
    for s in range(0xD0, 0xD4):
        add("unknown-eid-enc-%x" % s, pro + call(u8(s) + u16(0x1234) + u16(0), []))
    add("rax-all-ones", pro + call(fid_raw(U64), []))

    # the platform and the VMM
    add("cpuid", pro + b"".join(platform(11, u8(b)) + u32(0) for b in range(5)),
        header(cpuid=0))
    add("cpuid-base-ff", pro + b"".join(platform(11, u8(b)) + u32(0) for b in range(5)),
        header(cpuid=0xFF))
    add("vmm-park-and-boot", pro + platform(6, u8(1)) + platform(5, u8(3)) + prog)
    add("vmm-reset", pro + platform(8) + prog)
    add("clock-back", pro + platform(1, u64(5)) + prog)
    # a registered record, then the platform's steal time goes back
    # (STEAL-004: the core clamps it)
    steal = next((f for f in fns if f["name"] == "STEAL.SET_SHMEM"), None)
    if steal is not None:
        add("steal-goes-back", pro + platform(2, u8(0) + u16(500)) +
            call(fid_raw(steal["id"]), [arg(VALID["STEAL.SET_SHMEM:gpa"])]) +
            platform(3, u8(0) + u16(1)) + call(fid_raw(fns[0]["id"]), []) +
            platform(0, u16(7)) + call(fid_raw(fns[0]["id"]), []))
    add("steal", pro + platform(2, u8(0) + u16(500)) + platform(3, u8(0) + u16(1)) + prog)

    os.makedirs(args.out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)

    if args.batch_out:
        os.makedirs(args.batch_out, exist_ok=True)
        nb = 0
        # one table per function: valid call, then each argument class
        for fn in fns:
            vals = valid_args(fn)
            rows = [vals]
            for i, a in enumerate(fn["args"]):
                for label, cls in CLASSES.get(a, GENERIC):
                    v = cls(vals[i]) if callable(cls) else cls
                    av = list(vals)
                    av[i] = v
                    rows.append(av)
            for k in range(0, len(rows), 8):
                tbl = b""
                for r in rows[k:k + 8]:
                    r = list(r) + [0] * (6 - len(r))
                    tbl += u64(fn["id"]) + b"".join(u64(x) for x in r) + u64(0x5151) + u64(0x6161)
                n = len(rows[k:k + 8])
                body = u8(0x20) + u8(n) + slot(2) + tbl
                with open(os.path.join(args.batch_out, "%s-%d" % (fn["name"], k)), "wb") as f:
                    f.write(header() + body)
                nb += 1
        # every valid call in one table, and the binding's cases
        tbl = b""
        for f_ in order:
            r = valid_args(f_) + [0] * (6 - len(valid_args(f_)))
            tbl += u64(f_["id"]) + b"".join(u64(x) for x in r) + u64(0) + u64(0)
        cnt = len(order)
        with open(os.path.join(args.batch_out, "all-functions"), "wb") as f:
            f.write(header() + u8(0x20) + u8(min(cnt, 64)) + slot(2) + tbl[:64 * 72])
        for label, fid in (("rax-high", 1 << 32), ("unknown", 0xFFFF0000), ("zero", 0)):
            t = u64(fid) + bytes(64)
            with open(os.path.join(args.batch_out, "entry-" + label), "wb") as f:
                f.write(header() + u8(0) + u8(1) + slot(2) + t)
        print("make_corpus.py: %d dispatch seeds, %d batch seeds" % (len(seeds), nb + 4))
    else:
        print("make_corpus.py: %d dispatch seeds" % len(seeds))

    if args.dict:
        # function IDs as the harness's raw FID encoding and as raw LE words
        with open(args.dict, "w", encoding="ascii") as f:
            f.write("# generated by make_corpus.py from %s; DO NOT EDIT\n" %
                    os.path.basename(args.requirements))
            for fn in fns:
                esc = "".join("\\x%02X" % b for b in fid_raw(fn["id"]))
                f.write('fid_%s="%s"\n' % (fn["name"].replace(".", "_"), esc))
                esc = "".join("\\x%02X" % b for b in u64(fn["id"]))
                f.write('id_%s="%s"\n' % (fn["name"].replace(".", "_"), esc))
    if args.stamp:
        with open(args.stamp, "w", encoding="ascii") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
