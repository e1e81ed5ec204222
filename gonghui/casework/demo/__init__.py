"""The demo city's casework (SVC): a year of history told through the casework services
(``history``), and the rosters and today's work (``today``). ``run`` is the module's demo step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gonghui.casework.demo.history import TEXTS, History

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

__all__ = ["TEXTS", "History", "run"]

# Cases in the year of casework history, per member: about 2,000 for the full demo, which
# keeps loading it to some 30 seconds on SQLite (``--cases`` asks for another number).
CASES_PER_MEMBER = 0.095


def run(builder: DemoBuilder) -> None:
    cases = builder.case_target
    if cases is None:
        cases = max(40, round(builder.member_target * CASES_PER_MEMBER))
    History(builder, cases=cases).run()
