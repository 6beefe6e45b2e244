"""spec/generated/binding_reqs.h: the requirement ID a binding topic names, per architecture.

One job: the C header the conformance runtime includes so that a check of a rule each
binding states in its own words (the registry's `topic`, BINDING_TOPICS: e.g. the value
is zero with any error status) names the requirement of the binding it is compiled for,
looked up in the registry, never typed: x86-64's on x86-64, arm64's on arm64. The same
table is in the requirements manifest ("binding_macros", scripts/hcabi_gen_history.py),
where the tests manifest reads it to resolve these macros in the tests' citations.
"""
from __future__ import annotations

import hcabi_registry as hr
from hcabi_gen_abi import _c_banner
from hcabi_gen_abi_calls import ARCH_CONDITION


def gen_binding_reqs_h(reg: hr.Registry) -> str:
    macros = reg.binding_macros()
    what = {m: d for d, m in hr.BINDING_TOPICS.values() if m}
    o = [_c_banner(), "/*\n * binding_reqs.h - per binding topic a check names, the requirement ID of the binding"
         "\n * compiled for (the registry's `topic`). For the conformance runtime and tests.\n */",
         "#ifndef HCABI_BINDING_REQS_H", "#define HCABI_BINDING_REQS_H", ""]
    for i, (arch, table) in enumerate(macros.items()):
        o.append(f"#{'if' if i == 0 else 'elif'} {ARCH_CONDITION[arch]}")
        o += [f"#define {m} \"{rid}\" /* {arch}: {what[m]} */" for m, rid in table.items()]
    if macros:
        o.append("#endif")
    o += ["", "#endif /* HCABI_BINDING_REQS_H */", ""]
    return "\n".join(o)
