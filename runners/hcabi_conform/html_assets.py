"""The HTML report's style and its one script, inline (the page is archived
by CI and opened offline: nothing is fetched). The page's
Content-Security-Policy allows no resource from anywhere and runs only this
script (by its hash), so even text that escaped escaping could not run."""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root{--fail:#cf222e;--pass:#1a7f37;--err:#9a6700;--mute:#57606a;--line:#d0d7de}
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em 2em;color:#1d1d1f;max-width:90em;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1.05em;margin:.2em 0 .5em}h4{font-size:.92em;margin:.8em 0 .3em;color:var(--mute)}
table{border-collapse:collapse;margin:.5em 0;width:100%;font-size:.92em}th,td{border:1px solid var(--line);padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f4f6;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}tr[hidden]{display:none}
tbody tr:target{outline:2px solid #0969da}
.verdict{display:inline-block;padding:.3em .8em;border-radius:.3em;font-weight:bold;color:#fff;font-size:1.1em}
.v-conformant{background:var(--pass)}.v-non-conformant{background:var(--fail)}.v-error{background:var(--err)}
.badge{display:inline-block;padding:0 .45em;border-radius:.8em;font-size:.85em;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.s-pass{color:var(--pass)}.s-fail,.s-timeout,.s-crash{color:var(--fail)}.s-error{color:var(--err)}
.s-skip,.s-untested,.s-not-run,.s-not-applicable{color:var(--mute)}
.counts .badge{margin-right:.4em}
.notice{padding:.6em .9em;border-radius:.3em;margin:.8em 0;border:1px solid}
.notice.warn{background:#fff8c5;border-color:#d4a72c}.notice.info{background:#ddf4ff;border-color:#54aeff}
.reasons{background:#ffebe9;border:1px solid #ff818266;border-radius:.3em;padding:.5em 1em}
.card{border:1px solid var(--line);border-left:6px solid var(--fail);border-radius:.3em;padding:.6em 1em;margin:1em 0;background:#fff}
.card.k-error{border-left-color:var(--err)}
.card .where{color:var(--mute);font-weight:normal;font-size:.9em}
.card ul.checks{margin:.2em 0;padding-left:1.2em}.card ul.checks li{margin:.15em 0}
dl.reqs{display:grid;grid-template-columns:max-content auto;gap:.3em 1em;margin:.3em 0}dl.reqs dd{margin:0}
pre,code,.code a{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.85em}.nowrap{white-space:nowrap}
pre.log{background:#f6f8fa;border:1px solid var(--line);padding:.5em;max-height:28em;overflow:auto}
code{background:#eff1f3;padding:0 .25em;border-radius:.2em;font-size:.88em}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dl.meta dt{font-weight:bold}dl.meta dd{margin:0}
form.filters{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;background:#f6f8fa;border:1px solid var(--line);padding:.4em .8em;border-radius:.3em;font-size:.92em}
form.filters fieldset{border:0;padding:0;margin:0;display:flex;gap:.6em;flex-wrap:wrap}
form.filters .shown{color:var(--mute);margin-left:auto}
.code a{font-size:.85em}.code>span{white-space:nowrap}a.rid{white-space:nowrap}
details>summary{cursor:pointer}.testlist{columns:3 18em;font-size:.9em}
.ok{color:var(--pass);font-weight:600}
"""

# Filters: each <form class="filters" data-table=ID> shows rows of table ID
# whose data-status is checked and whose data-ext is the one selected.
JS = """
document.querySelectorAll("form.filters").forEach(function (form) {
  var table = document.getElementById(form.dataset.table);
  if (!table) return;
  form.hidden = false;
  function apply() {
    var on = {};
    form.querySelectorAll("input[name=status]").forEach(function (box) { on[box.value] = box.checked; });
    var ext = form.querySelector("select[name=ext]").value;
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var show = on[rows[i].dataset.status] !== false && (!ext || rows[i].dataset.ext === ext);
      rows[i].hidden = !show;
      if (show) shown++;
    }
    form.querySelector(".shown").textContent = shown + " of " + rows.length + " shown";
  }
  form.addEventListener("change", apply);
  apply();
});
"""


def csp() -> str:
    """The page's Content-Security-Policy: nothing from anywhere, inline
    style, and only this module's script."""
    digest = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"
