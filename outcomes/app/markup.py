"""User and source text shown as text: the one escape every page uses before Markdown.

Streamlit renders ``st.markdown``, ``st.caption``, ``st.info`` / ``warning`` / ``error`` /
``success``, ``st.toast`` and expander and popover labels as Markdown. A note, a sign-off
comment, a name, a metric's title or owner, a quarantined raw value or a feature value typed as
``![x](http://host/pixel.png)`` would make every viewer's browser fetch that URL, and
``[click](javascript:...)`` would be a live link. :func:`md_text` escapes what makes images,
links and HTML (``[``, ``]``, ``<``, ``>``, the ``:`` of ``://``, the ``.`` of ``www.``, and
``\\`` and ``$``), so the text is shown as typed; emphasis and code spans stay harmless text.

>>> md_text("![x](http://127.0.0.1/p.png) <img src=x> [a](javascript:alert(1)) www.x.io")
'!\\\\[x\\\\](http\\\\://127.0.0.1/p.png) \\\\<img src=x\\\\> \\\\[a\\\\](javascript:alert(1)) www\\\\.x.io'
>>> md_text(None), md_text(3), md_text("Cost (USD)")
('', '3', 'Cost (USD)')
"""

from __future__ import annotations

import re

# what starts an image, a link, raw HTML or maths, and what GFM turns into a link by itself
_MARKUP = re.compile(r"([\\\[\]<>$])|(?<=[A-Za-z]):(?=//)|(?<=\bwww)\.", re.IGNORECASE)


def md_text(value: object) -> str:
    """``value`` as Markdown that renders as the literal text (None is empty)."""
    if value is None:
        return ""
    return _MARKUP.sub(lambda m: "\\" + m.group(0), str(value))
