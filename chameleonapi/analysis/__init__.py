"""Static analysis of an application's decision process (astroid; the app never runs).

`analyze(path_or_source)` finds the cloud vision SDK calls, follows each response to the
tests that decide, and returns one DecisionSpec per decision. It never raises on bad
input: unreadable or unparsable files give no spec, and `analyze_report` says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chameleonapi.analysis.report import Report

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.analysis.live import LiveScope
    from chameleonapi.spec import DecisionSpec


def analyze(
    path_or_source: str | Path, *, budget: float | None = None, live: LiveScope | None = None
) -> list[DecisionSpec]:
    """Decision specs of a file, a package directory, or source text.

    `budget` bounds the time in seconds (default: `CHAMELEONAPI_ANALYSIS_BUDGET`, else 1 s);
    past it the specs found so far come back marked partial, with the reason. `live` (the
    calling frame, at the application's first call) resolves names read at run time, from
    plain data only and without running application code (`chameleonapi.analysis.live`).
    """
    return analyze_report(path_or_source, budget=budget, live=live).specs


def analyze_report(
    path_or_source: str | Path, *, budget: float | None = None, live: LiveScope | None = None
) -> Report:
    from chameleonapi.analysis.run import run

    try:
        return run(path_or_source, budget, live=live)
    except RecursionError:
        return Report(errors=[f"{_label(path_or_source)}: code is nested too deeply to analyze"])
    except Exception as exc:  # the analysis must never take the application down
        return Report(
            errors=[f"{_label(path_or_source)}: analysis failed: {type(exc).__name__}: {exc}".splitlines()[0]]
        )


def _label(path_or_source: object) -> str:
    text = str(path_or_source)
    return text if "\n" not in text and len(text) < 300 else "<string>"


__all__ = ["Report", "analyze", "analyze_report"]
