"""The signal reference in ``docs/signals.md``, generated from the registry.

``tests/signals/test_registry.py`` fails when the page and the registry disagree, so a signal
cannot be added, renamed or redefined without its documentation.
"""

from __future__ import annotations

from riskseg.signals.registry import DIRECTION_MEANING, FAMILY_MEANING, FAMILY_ORDER, family_signals

BEGIN = "<!-- signals:reference -->"
END = "<!-- /signals:reference -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The reference section: one table per family, every signal with its definition."""
    parts = [BEGIN, ""]
    for family in FAMILY_ORDER:
        sigs = family_signals(family)
        parts += [
            f"### {family.replace('_', ' ')} ({len(sigs)} signals)",
            "",
            FAMILY_MEANING[family],
            "",
            "| signal | unit | direction | meaning | formula | also empty when |",
            "|---|---|---|---|---|---|",
        ]
        for s in sigs:
            parts.append(
                f"| `{s.name}` | {_cell(s.unit)} | {s.direction} | {_cell(s.meaning)} | "
                f"{_cell(s.formula)} | {_cell(s.null_when)} |"
            )
        parts.append("")
    legend = "; ".join(f"{k}: {v}" for k, v in DIRECTION_MEANING.items())
    parts += [f"Direction: {legend}.", "", END]
    return "\n".join(parts)


def replace_reference(page: str) -> str:
    """``page`` with its reference section regenerated."""
    start, end = page.index(BEGIN), page.index(END) + len(END)
    return page[:start] + markdown() + page[end:]
