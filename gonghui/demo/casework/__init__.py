"""The demo city's casework (SVC): a year of history told through the casework services
(``history``), and the rosters and today's work (``today``)."""

from gonghui.demo.casework.history import TEXTS, History

__all__ = ["TEXTS", "History"]
