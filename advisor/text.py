"""Text from telemetry made safe to show on a terminal.

Host names and other strings come from manifests that remote servers or other programs
may have influenced; a terminal escape sequence in one (``\\x1b]0;…\\x07`` retitles the
window, ``\\x1b[2J`` clears it) must be shown, never obeyed. Control and format
characters (C0, DEL, C1, bidi overrides, zero-width marks) are shown as Python-style
escapes; everything else is kept.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any


def printable(text: str) -> str:
    """``text`` with every control or format character shown as ``\\xNN`` / ``\\uNNNN``."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or unicodedata.category(ch) == "Zs":  # NBSP etc. are harmless
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


_TABLE = """<table class="breaker-advisor">
<caption>{{ caption }}</caption>
<thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for v in row %}
<td>{{ "—" if v is none else v }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>"""


@cache
def _table_template() -> Any:
    import jinja2  # only a notebook's rich display needs it

    return jinja2.Environment(autoescape=True).from_string(_TABLE)


def html_table(caption: str, columns: list[str], rows: list[list[Any]]) -> str:
    """An autoescaped HTML table for Jupyter's rich display (host names and reasons are
    user data)."""
    return str(_table_template().render(caption=caption, columns=columns, rows=rows))
