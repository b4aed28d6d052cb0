"""A SQL macro as text: name, parameters, body, and the tables it reads."""

from __future__ import annotations

from dataclasses import dataclass

# the reporting calendar: macros that flag partial weeks read it
CALENDAR = "staging.weeks"


@dataclass(frozen=True)
class Macro:
    """One ``create macro``: name, parameters, body (``table`` macros return rows)."""

    name: str
    parameters: str
    body: str
    table: bool = False
    reads: tuple[str, ...] = ()

    def create_sql(self) -> str:
        """The statement that creates (or replaces) it in ``main``.

        >>> Macro("twice", "x", "x * 2").create_sql()
        'create or replace macro main.twice(x) as x * 2'
        """
        kind = "table " if self.table else ""
        return f"create or replace macro main.{self.name}({self.parameters}) as {kind}{self.body}"
