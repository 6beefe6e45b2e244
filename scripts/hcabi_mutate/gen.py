"""Source-level mutants of the reference implementation's C files.

A small C lexer finds the tokens (comments, string and character literals,
and #include/#if/#pragma lines are never tokens, so never mutated); each
operator proposes replacements of one token or one statement. A mutant is one
(start, end, replacement) edit of the original text, so a mutated file differs
from the original in exactly one place.

Stable ID: `FILE:LINE:OP:INDEX`, FILE relative to the source root, LINE the
1-based line of the edit, INDEX the ordinal among that line's mutants of OP.
The same file gives the same IDs; an edit elsewhere in the file moves only
the IDs of the lines it shifts.

Operators:
  ror      relational: < <= > >= == != to its boundary or negation
  lcr      logical: && <-> ||
  aor      arithmetic: binary + <-> -, * <-> /, << <-> >>
  obo      an integer constant N to N+1 (index 0) and N-1 (index 1, N > 0)
  status   a returned status constant to each other status that the
           enclosing HCABI function may return (the registry's list, read from
           spec/generated/requirements.json)
  rmcheck  `if (COND) return X;` (or `{ return X; }`, no else) removed
  rmwrite  refvmm only: an assignment to a register field (regs.rax = ...,
           run->xen.u.hcall.result = ..., *slot[i] = ...) removed
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

OPERATORS = ("ror", "lcr", "aor", "obo", "status", "rmcheck", "rmwrite")


@dataclass(frozen=True)
class Tok:
    kind: str  # ident, number, op
    text: str
    start: int
    end: int
    line: int
    pp: bool = False  # inside a #define


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to the source root, '/'-separated
    line: int
    op: str
    index: int
    start: int
    end: int
    replacement: str
    original: str
    note: str = ""
    # The whole source line(s) the edit sits on, before the edit: a stored result
    # is reused only for the same edit on the same line text (a moved or changed
    # line is a new mutant even if its ID and edit happen to repeat).
    context: str = ""

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}:{self.op}:{self.index}"

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]

    def describe(self) -> str:
        before = " ".join(self.original.split())
        after = " ".join(self.replacement.split()) or "(removed)"
        if len(before) > 60:
            before = before[:57] + "..."
        return f"{before!r} -> {after!r}" + (f" ({self.note})" if self.note else "")


_OPS3 = ("<<=", ">>=", "...")
_OPS2 = ("->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)[uUlLfF]*")


def lex(text: str) -> list[Tok]:
    """Tokens of C source `text`, without comments, string/char literals and
    preprocessor lines other than #define (whose bodies are tokens, pp=True)."""
    toks: list[Tok] = []
    i, n, line = 0, len(text), 1
    at_line_start = True
    pp_end = -1  # offset where the current #define ends
    while i < n:
        c = text[i]
        if i >= pp_end >= 0:
            pp_end = -1
        if c == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if c in " \t\r\f\v" or (c == "\\" and text.startswith("\\\n", i)):
            if c == "\\":
                line += 1
                i += 2
            else:
                i += 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "#" and at_line_start:
            j = _directive_end(text, i)
            directive = re.match(r"#\s*([a-z]*)", text[i:j])
            if directive and directive.group(1) == "define":
                m = re.match(r"#\s*define\s+[A-Za-z_][A-Za-z0-9_]*(\([^)]*\))?", text[i:j])
                pp_end = j
                assert m is not None
                line += text.count("\n", i, i + m.end())
                i += m.end()
            else:
                line += text.count("\n", i, j)
                i = j
            continue
        at_line_start = False
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        in_pp = pp_end >= 0
        m = _IDENT.match(text, i)
        if m:
            # a string literal with a prefix (u8"...", L'x') is still a literal
            if m.end() < n and text[m.end()] in "\"'" and m.group() in ("L", "u", "U", "u8"):
                i = m.end()
                continue
            toks.append(Tok("ident", m.group(), i, m.end(), line, in_pp))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m:
            toks.append(Tok("number", m.group(), i, m.end(), line, in_pp))
            i = m.end()
            continue
        width = 3 if text.startswith(_OPS3, i) else 2 if text.startswith(_OPS2, i) else 1
        toks.append(Tok("op", text[i : i + width], i, i + width, line, in_pp))
        i += width
    return toks


def _directive_end(text: str, i: int) -> int:
    """Offset of the newline that ends the preprocessor line at `i`
    (continuations and comments inside it included)."""
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text.startswith("\\\n", i):
            i += 2
        elif text[i] == "\n":
            return i
        else:
            i += 1
    return n


# ---- permitted statuses -----------------------------------------------------------


def status_names(requirements: dict) -> list[str]:
    """The registry's status names, in numeric order as listed."""
    return [s["name"] for s in requirements["statuses"]]


def permitted_statuses(requirements: dict) -> dict[str, list[str]]:
    """`HCABI_FID_EXT_FN` and the C helper name `ext_fn` -> the statuses that
    function may return (requirements.json's `extensions[].functions[].statuses`)."""
    out: dict[str, list[str]] = {}
    for ext in requirements["extensions"]:
        for fn in ext["functions"]:
            statuses = list(fn["statuses"])
            out[f"HCABI_FID_{ext['name']}_{fn['name']}"] = statuses
            out[f"{ext['name']}_{fn['name']}".lower()] = statuses
    return out


def status_macro(name: str) -> str:
    return "HCABI_SUCCESS" if name == "SUCCESS" else f"HCABI_ERR_{name}"


def macro_status(macro: str) -> Optional[str]:
    if macro == "HCABI_SUCCESS":
        return "SUCCESS"
    return macro[len("HCABI_ERR_") :] if macro.startswith("HCABI_ERR_") else None


def function_contexts(toks: list[Tok], permitted: dict[str, list[str]]) -> list[Optional[str]]:
    """For each token, the HCABI function whose code it belongs to, or None:
    the body of a C function named `ext_fn` (vcpu_start), or the statements
    after `case HCABI_FID_EXT_FN:` up to the next case/default label at the
    same depth or the end of the enclosing block."""
    ctx: list[Optional[str]] = [None] * len(toks)
    depth = 0
    fn_ctx: Optional[tuple[str, int]] = None  # (name, depth of its body)
    case_ctx: Optional[tuple[str, int]] = None
    for k, t in enumerate(toks):
        if t.text == "{":
            if depth == 0 and fn_ctx is None:
                name = _function_name(toks, k)
                if name is not None and name in permitted:
                    fn_ctx = (name, 1)
            depth += 1
        elif t.text == "}":
            depth -= 1
            if fn_ctx is not None and depth < fn_ctx[1]:
                fn_ctx = None
            if case_ctx is not None and depth < case_ctx[1]:
                case_ctx = None
        elif t.text in ("case", "default") and not t.pp:
            case_ctx = None
            if t.text == "case" and k + 2 < len(toks) and toks[k + 2].text == ":" and toks[k + 1].text in permitted:
                case_ctx = (toks[k + 1].text, depth)
        current = case_ctx or fn_ctx
        ctx[k] = current[0] if current else None
    return ctx


def _function_name(toks: list[Tok], brace: int) -> Optional[str]:
    """The name of the function whose body opens at toks[brace]: `NAME ( ... ) {`."""
    k = brace - 1
    if k < 0 or toks[k].text != ")":
        return None
    level = 0
    while k >= 0:
        if toks[k].text == ")":
            level += 1
        elif toks[k].text == "(":
            level -= 1
            if level == 0:
                break
        k -= 1
    return toks[k - 1].text if k >= 1 and toks[k - 1].kind == "ident" else None


# ---- operators -----------------------------------------------------------------------

_ROR = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_LCR = {"&&": "||", "||": "&&"}
_AOR = {"+": "-", "-": "+", "*": "/", "/": "*", "<<": ">>", ">>": "<<"}
_TYPE_WORDS = {"void", "char", "short", "int", "long", "unsigned", "signed", "float", "double", "bool", "const", "volatile", "restrict"}
_REGISTERS = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    "rip", "rflags", "result", "cr0", "cr3", "cr4", "efer",
}  # fmt: skip


def _static_assert_spans(toks: list[Tok]) -> set[int]:
    """Indexes of tokens inside _Static_assert(...): a mutant there cannot compile."""
    inside: set[int] = set()
    for k, t in enumerate(toks):
        if t.text in ("_Static_assert", "static_assert") and k + 1 < len(toks) and toks[k + 1].text == "(":
            level, j = 0, k + 1
            while j < len(toks):
                level += toks[j].text == "("
                level -= toks[j].text == ")"
                inside.add(j)
                if level == 0:
                    break
                j += 1
    return inside


def _binary(toks: list[Tok], k: int) -> bool:
    """True when the operator at k is binary: its left is an operand."""
    if k == 0:
        return False
    prev = toks[k - 1]
    if prev.kind == "number" or prev.text in (")", "]"):
        return True
    if prev.kind != "ident" or prev.text in _TYPE_WORDS or prev.text in ("return", "case", "sizeof"):
        return False
    if toks[k].text == "*":
        # `T *p`: a declaration, not a product
        if prev.text.endswith("_t") or (k >= 2 and toks[k - 2].text in ("struct", "union", "enum")):
            return False
    return True


def _int_value(text: str) -> Optional[tuple[int, str, bool]]:
    m = re.fullmatch(r"(0[xX][0-9A-Fa-f]+|[0-9]+)([uUlL]*)", text)
    if not m:
        return None
    body, suffix = m.groups()
    if body.startswith(("0x", "0X")):
        return int(body, 16), suffix, True
    if len(body) > 1 and body.startswith("0"):
        return None  # octal: leave alone
    return int(body), suffix, False


def _number_text(value: int, suffix: str, hexa: bool, like: str) -> str:
    if hexa:
        digits = format(value, "x")
        if any(ch in "ABCDEF" for ch in like[2:]):
            digits = digits.upper()
        return like[:2] + digits + suffix
    return str(value) + suffix


def _statement_end(toks: list[Tok], k: int) -> int:
    """Index of the `;` that ends the statement starting at k (parentheses balanced)."""
    level = 0
    while k < len(toks):
        t = toks[k].text
        if t in ("(", "[", "{"):
            level += 1
        elif t in (")", "]", "}"):
            level -= 1
            if level < 0:
                return -1
        elif t == ";" and level == 0:
            return k
        k += 1
    return -1


def _removal(text: str, start: int, end: int) -> str:
    """An empty statement that keeps the line count (so later IDs and the
    compiler's line numbers stay put)."""
    return ";" + "\n" * text.count("\n", start, end)


def mutants_of(rel: str, text: str, permitted: dict[str, list[str]], refvmm: bool) -> list[Mutant]:
    """Every mutant of one file, in source order."""
    toks = lex(text)
    skip = _static_assert_spans(toks)
    ctx = function_contexts(toks, permitted)
    raw: list[tuple[int, str, int, int, str, str]] = []  # line, op, start, end, replacement, note

    def add(op: str, first: Tok, start: int, end: int, repl: str, note: str = "") -> None:
        raw.append((first.line, op, start, end, repl, note))

    for k, t in enumerate(toks):
        if k in skip:
            continue
        if t.kind == "op" and t.text in _ROR:
            add("ror", t, t.start, t.end, _ROR[t.text])
        elif t.kind == "op" and t.text in _LCR:
            add("lcr", t, t.start, t.end, _LCR[t.text])
        elif t.kind == "op" and t.text in _AOR and _binary(toks, k):
            add("aor", t, t.start, t.end, _AOR[t.text])
        elif t.kind == "number":
            parsed = _int_value(t.text)
            if parsed is not None:
                value, suffix, hexa = parsed
                add("obo", t, t.start, t.end, _number_text(value + 1, suffix, hexa, t.text))
                if value > 0:
                    add("obo", t, t.start, t.end, _number_text(value - 1, suffix, hexa, t.text))
        elif t.kind == "ident" and ctx[k] is not None and macro_status(t.text) is not None:
            allowed = permitted[ctx[k] or ""]
            mine = macro_status(t.text)
            if mine in allowed and k > 0 and toks[k - 1].text in ("return", "?", ":", "="):
                for other in allowed:
                    if other != mine:
                        add("status", t, t.start, t.end, status_macro(other), f"{ctx[k]} may return {other}")
        elif t.kind == "ident" and t.text == "if" and not t.pp:
            m = _if_return(toks, k)
            if m is not None:
                s, e = toks[k].start, toks[m].end
                if not (m + 1 < len(toks) and toks[m + 1].text == "else"):
                    add("rmcheck", t, s, e, _removal(text, s, e))
        if refvmm and not t.pp and _statement_start(toks, k) and _register_write(toks, k):
            end = _statement_end(toks, k)
            if end > 0:
                add("rmwrite", t, t.start, toks[end].end, _removal(text, t.start, toks[end].end))
    raw.sort(key=lambda r: (r[2], OPERATORS.index(r[1])))
    seen: dict[tuple[int, str], int] = {}
    out: list[Mutant] = []
    for line, op, start, end, repl, note in raw:
        index = seen.get((line, op), 0)
        seen[(line, op)] = index + 1
        lo = text.rfind("\n", 0, start) + 1
        hi = text.find("\n", end)
        context = text[lo : hi if hi >= 0 else len(text)]
        out.append(Mutant(rel, line, op, index, start, end, repl, text[start:end], note, context))
    return out


def _if_return(toks: list[Tok], k: int) -> Optional[int]:
    """For `if ( COND ) return X ;` or `if ( COND ) { return X ; }` at k, the
    index of the last token; else None."""
    if k + 1 >= len(toks) or toks[k + 1].text != "(":
        return None
    level, j = 0, k + 1
    while j < len(toks):
        level += toks[j].text == "("
        level -= toks[j].text == ")"
        if level == 0:
            break
        j += 1
    j += 1
    braced = j < len(toks) and toks[j].text == "{"
    if braced:
        j += 1
    if j >= len(toks) or toks[j].text != "return":
        return None
    end = _statement_end(toks, j)
    if end < 0:
        return None
    if braced:
        if end + 1 >= len(toks) or toks[end + 1].text != "}":
            return None
        return end + 1
    return end


def _statement_start(toks: list[Tok], k: int) -> bool:
    return (k == 0 or toks[k - 1].text in (";", "{", "}", ")", ":", "else")) and toks[k].kind in ("ident", "op")


def _register_write(toks: list[Tok], k: int) -> bool:
    """`A.B = ...;`/`A->B.C = ...;` whose last member is a register, or `*slot[...] = ...;`."""
    j, last = k, None
    if toks[j].text == "*":
        j += 1
    if j >= len(toks) or toks[j].kind != "ident":
        return False
    j += 1
    members = 0
    while j + 1 < len(toks):
        if toks[j].text in (".", "->") and toks[j + 1].kind == "ident":
            last = toks[j + 1].text
            members += 1
            j += 2
        elif toks[j].text == "[":
            end = j
            while end < len(toks) and toks[end].text != "]":
                end += 1
            j = end + 1
        else:
            break
    if j >= len(toks) or toks[j].text != "=":
        return False
    if toks[k].text == "*":
        return toks[k + 1].text == "slot"
    return members > 0 and last in _REGISTERS


def generate(root: Path, files: Iterable[str], requirements: dict) -> list[Mutant]:
    """Mutants of every file (relative to root, '/'-separated)."""
    permitted = permitted_statuses(requirements)
    out: list[Mutant] = []
    for rel in files:
        text = (root / rel).read_text(encoding="utf-8")
        out += mutants_of(rel, text, permitted, refvmm=rel.startswith("reference-impl/refvmm/"))
    return out
