"""What each configuration key means, read from the settings models' own docstrings.

Every model of ``commsbot.toml`` documents its keys in a Google-style ``Attributes:`` section.
Reading them here (instead of repeating them in a template) keeps the file ``commsbot init``
writes and ``commsbot config check`` in step with the models: a key added without a line in
its model's ``Attributes:`` fails the tests.
"""

from __future__ import annotations

import inspect
import re

from pydantic import BaseModel

_ENTRY = re.compile(r"^(?P<names>[A-Za-z_][\w /,]*?):\s*(?P<text>.*)$")


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """``{key: description}`` from the ``Attributes:`` sections of ``model`` and its bases.

    An entry may name several keys (``backoff_base_seconds / backoff_cap_seconds: …``); its
    continuation lines (indented deeper) are joined into one paragraph.
    """
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls is not BaseModel:
            docs.update(_attributes(inspect.getdoc(cls) or ""))
    return docs


def _attributes(doc: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = doc.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Attributes:")
    except StopIteration:
        return out
    base = len(lines[start]) - len(lines[start].lstrip())
    entry_indent: int | None = None
    names: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= base:
            break  # the next section
        if entry_indent is None:
            entry_indent = indent
        match = _ENTRY.match(line.strip())
        if indent == entry_indent and match:
            names = [n.strip() for n in re.split(r"[/,]", match["names"]) if n.strip()]
            for name in names:
                out[name] = match["text"].strip()
        elif names:
            for name in names:
                out[name] = f"{out[name]} {line.strip()}".strip()
    return out
