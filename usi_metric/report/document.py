"""A tiny document model rendered to both Markdown and HTML (user text always escaped).

>>> d = Doc(); d.h(1, "Title <b>"); d.p("a `code` span")
>>> d.markdown().splitlines()
['# Title &lt;b&gt;', '', 'a `code` span']
>>> "<h1>Title &lt;b&gt;</h1>" in d.html("t")
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from usi_metric.report.escape import for_markdown


@dataclass
class Doc:
    """A tiny document model rendered to both Markdown and HTML (plain text only)."""

    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def note(self, text: str) -> None:
        self.blocks.append(("note", text))

    def ul(self, items: Sequence[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(("table", (list(head), [list(r) for r in rows])))

    def img(self, src: str, alt: str) -> None:
        self.blocks.append(("img", (src, alt)))

    def markdown(self) -> str:
        """Markdown whose every text is inert (``escape.for_markdown``): a name's raw HTML,
        its links, pipes and line breaks are text, never markup or a broken table."""
        md = for_markdown
        out: list[str] = []
        for kind, val in self.blocks:
            if kind == "h":
                out.append("#" * val[0] + " " + md(val[1]))
            elif kind == "p":
                out.append(md(val, block_start=True))
            elif kind == "note":
                out.append(f"> **{md(val)}**")
            elif kind == "ul":
                out.append("\n".join(f"- {md(item, block_start=True)}" for item in val))
            elif kind == "table":
                head, rows = val
                lines = ["| " + " | ".join(md(c) for c in head) + " |",
                         "|" + "|".join("---" for _ in head) + "|"]
                lines += ["| " + " | ".join(md(c) for c in r) + " |" for r in rows]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{md(val[1])}]({val[0]})")
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        def e(text: str) -> str:  # escape, then `code` spans
            return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

        body: list[str] = []
        for kind, val in self.blocks:
            if kind == "h":
                body.append(f"<h{val[0]}>{e(val[1])}</h{val[0]}>")
            elif kind == "p":
                body.append(f"<p>{e(val)}</p>")
            elif kind == "note":
                body.append(f'<div class="note">{e(val)}</div>')
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in val) + "</ul>")
            elif kind == "table":
                head, rows = val
                t = ["<table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in head)
                     + "</tr></thead><tbody>"]
                t += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
                body.append("".join(t) + "</tbody></table>")
            elif kind == "img":
                body.append(f'<figure><img src="{e(val[0])}" alt="{e(val[1])}"></figure>')
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")


_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.45;color:#111}table{border-collapse:collapse;margin:1rem 0}"
        "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}"
        "th:first-child,td:first-child{text-align:left}thead{background:#f2f2f2}"
        "img{max-width:100%}.note{background:#fff3cd;border:2px solid #E69F00;padding:.6rem 1rem;"
        "font-weight:bold}")
