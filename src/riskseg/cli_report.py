"""``riskseg report``: the monthly portfolio review, a thin command over
:mod:`riskseg.reports.review`; registered on :data:`riskseg.cli.app` when ``riskseg.cli`` is
imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskseg.cli import DbOption, _open, app


@app.command()
def report(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the review's .html and .xlsx.")
    ] = Path("review"),
    run_id: Annotated[
        int | None,
        typer.Option("--run", help="Review this run (default: the latest).", show_default=False),
    ] = None,
    after: Annotated[
        int, typer.Option("--after", help="Days after an action its impact is measured over.")
    ] = 90,
    db: DbOption = None,
) -> None:
    """The monthly portfolio review as HTML and Excel, read from the runs already stored.

    Writes portfolio-review-<as_of>.html and .xlsx into --out: customers, open actions and
    customer equity (total 12-month CLV) against the previous run; each department's queue
    of open actions, the most money at stake first; who moved to a worse or better segment;
    customer equity per segment; and the measured impact of past actions. Nothing is scored
    again: run `riskseg run` first.

    Examples:

      riskseg report --db demo.duckdb --out review

      riskseg report --db demo.duckdb --run 1 --out review-run-1
    """
    from riskseg.reports.review import portfolio_review, write_review

    with _open(db) as store:
        review = portfolio_review(store, run_id=run_id, after_days=after)
    for path in write_review(review, out_dir):
        print(path)
