"""The audit record as a page for people: one self-contained HTML file (inline style, no script, a
Content-Security-Policy that loads nothing), rendered from the record's JSON form (`audit.build_record`)."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2em auto;
max-width:1100px;color:#1b1f24;line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:2px solid #d0d7de;padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
.meta{color:#57606a;font-size:.92em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:.35em .55em;text-align:left;vertical-align:top}
th{background:#f3f5f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.88em;word-break:break-all}
.verdict{display:inline-block;padding:.25em .7em;border-radius:4px;font-weight:600;color:#fff}
.do_not_share{background:#b42318}.share_after_fixes{background:#b54708}.looks_safe{background:#067647}
.sev{font-weight:600}.sev-block{color:#b42318}.sev-warn{color:#b54708}.sev-note{color:#57606a}
.ok{color:#067647;font-weight:600}.bad{color:#b42318;font-weight:600}
.cite{color:#57606a;font-size:.9em}
td.box{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.85em;white-space:nowrap}
details summary{color:#57606a;cursor:pointer;font-size:.9em}
ul.reasons{margin:0;padding-left:1.1em}
.note{background:#f6f8fa;border-left:4px solid #8c959f;padding:.5em .8em;margin:.8em 0}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _reasons_html(reasons: list[dict[str, str]]) -> str:
    """The first reason of each document in full; the rest folded away (no script: <details>)."""
    if not reasons:
        return ""

    def li(r: dict[str, str]) -> str:
        return f"<li>{_e(r['text'])} <span class='cite'>[{_e(r['citation'])}]</span></li>"

    first: list[dict[str, str]] = []
    rest: list[dict[str, str]] = []
    seen: set[str] = set()
    for r in reasons:
        doc = r["citation"].split(",", 1)[0]
        (rest if doc in seen else first).append(r)
        seen.add(doc)
    out = "<ul class='reasons'>" + "".join(li(r) for r in first) + "</ul>"
    if rest:
        out += (
            f"<details><summary>{len(rest)} more reason{'s' if len(rest) != 1 else ''}</summary>"
            f"<ul class='reasons'>{''.join(li(r) for r in rest)}</ul></details>"
        )
    return out


def _file_html(f: dict[str, Any]) -> str:
    parts: list[str] = []
    verdict = f["verdict"]
    parts.append(f"<h2>{_e(f['input']['name'])}</h2>")
    parts.append(
        f'<p><span class="verdict {_e(verdict)}">{_e(f["verdict_text"])}</span> '
        f"under the <strong>{_e(f['profile']['title'])}</strong> profile "
        f"(<code>{_e(f['profile']['name'])}</code>)</p>"
    )
    ver = f["verification"]
    ver_class = "ok" if ver["verified"] else "bad"
    rows = [
        ("Original", f"{_e(f['input']['name'])}<br><code>sha256 {_e(f['input']['sha256'])}</code>"),
        (
            "Safe copy",
            f"{_e(f['output']['name'] or 'not written')}<br><code>sha256 {_e(f['output']['sha256'])}</code>",
        ),
        ("Export mode", _e(f["output"]["mode"])),
        ("Verification", f'<span class="{ver_class}">{_e(ver["text"])}</span>'),
    ]
    if f["override"]:
        rows.append(("Override", f'<span class="bad">{_e(f["override"]["text"])}</span>'))
    if f["error"]:
        rows.append(("Error", f'<span class="bad">{_e(f["error"])}</span>'))
    if f["findings_left_against_policy"]:
        rows.append(
            (
                "Left against policy",
                '<span class="bad">'
                + (
                    "1 finding the policy objects to was"
                    if f["findings_left_against_policy"] == 1
                    else f"{f['findings_left_against_policy']} findings the policy objects to were"
                )
                + " left uncovered by the user</span>",
            )
        )
    parts.append("<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>")
    for note in f["policy_notes"]:
        parts.append(f'<p class="note">{_e(note)}</p>')

    parts.append("<h3>Findings</h3>")
    if not f["findings"]:
        parts.append("<p>Nothing visible was flagged.</p>")
    else:
        head = (
            "<tr><th>#</th><th>What</th><th>Where (x1, y1, x2, y2)</th><th>Score</th>"
            "<th>Decision</th><th>Severity</th><th>Why (policy)</th></tr>"
        )
        body = []
        for item in f["findings"]:
            what = _e(item["category"])
            if item["label"] and item["label"] != item["category"]:
                what += f" <span class='meta'>({_e(item['label'])})</span>"
            sev = item["severity"] or ""
            reasons = _reasons_html(item["reasons"])
            body.append(
                f"<tr><td>{_e(item['id'])}</td><td>{what}</td><td class='box'>{_e(', '.join(map(str, item['box'])))}"
                f"</td><td class='num'>{item['score']:.2f}</td><td>{_e(item['decision_text'])}</td>"
                f"<td class='sev sev-{_e(sev)}'>{_e(sev)}</td>"
                f"<td>{reasons}</td></tr>"
            )
        parts.append(f"<table>{head}{''.join(body)}</table>")

    removed = f["metadata_removed"]
    parts.append("<h3>Metadata removed</h3>")
    if not removed["total"]:
        parts.append("<p>The original carried no metadata that needed removing.</p>")
    else:
        rows_html = []
        policy = removed.get("policy_by_kind", {})
        for (kind, count), note in zip(removed["by_kind"].items(), removed["notes"], strict=False):
            rule = policy.get(kind, {})
            sev = rule.get("severity", "")
            rows_html.append(
                f"<tr><td>{_e(kind)}</td><td class='num'>{count}</td><td>{_e(note)}</td>"
                f"<td class='sev sev-{_e(sev)}'>{_e(sev)}</td><td>{_reasons_html(rule.get('reasons', []))}</td></tr>"
            )
        parts.append(
            "<table><tr><th>Kind</th><th>Items</th><th>What was removed</th><th>Severity</th>"
            f"<th>Why (policy)</th></tr>{''.join(rows_html)}</table>"
        )
        for item in removed.get("items", []):
            shown = f"{_e(item['group'])} {_e(item['tag'])} = {_e(item['value'])}"
            parts.append(f"<p class='meta'><code>{shown}</code></p>")
    return "\n".join(parts)


def render_html(record: dict[str, Any]) -> str:
    files = record["files"]
    title = "ShareSafe audit record"
    summary = Counter(f["verdict_text"] for f in files)
    summary_text = ", ".join(f"{n} {k.lower()}" for k, n in summary.items())
    body = "\n".join(_file_html(f) for f in files)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{title}</h1>
<p class="meta">Written {_e(record["created"])} by ShareSafe {_e(record["sharesafe_version"])} &middot;
{len(files)} file{"s" if len(files) != 1 else ""}: {_e(summary_text)}</p>
<p class="note">{_e(record["privacy"])} The originals were not changed.</p>
{body}
</body>
</html>
"""
