"""The model of a raw data contract: a `Column` with its rules, a `Contract` of columns and keys.

The contracts themselves are in `outcomes.core.contracts`.

>>> Column(name="x", type="DOUBLE", min=0).rules()
['type', 'range']
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The rule names written to raw.quarantine.rule, in the order checks are reported.
RULES: tuple[str, ...] = (
    "malformed",
    "required",
    "type",
    "allowed_values",
    "range",
    "not_future",
    "order",
    "one_of",
    "duplicate_key",
)

_TYPE_PATTERN = re.compile(
    r"^(VARCHAR|TIMESTAMP|DATE|BOOLEAN|BIGINT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$"
)


class Column(BaseModel):
    """One column of a raw table and the rules its values must meet.

    >>> Column(name="cost_usd", type="DECIMAL(18,6)", required=True, min=0).rules()
    ['required', 'type', 'range']
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Column name in the source file and in raw.<table>.")
    type: str = Field(description="DuckDB type, e.g. VARCHAR, TIMESTAMP, DECIMAL(18,6).")
    required: bool = Field(False, description="Null or empty is rejected (rule `required`).")
    allowed_values: tuple[str, ...] | None = Field(
        None, description="The value must be one of these (rule `allowed_values`)."
    )
    pattern: str | None = Field(
        None,
        description="Regular expression the whole value must match (rule `allowed_values`).",
    )
    pattern_hint: str | None = Field(None, description="Human wording of `pattern`.")
    min: float | None = Field(None, description="Inclusive lower bound (rule `range`).")
    max: float | None = Field(None, description="Inclusive upper bound (rule `range`).")
    not_future: bool = Field(
        False,
        description="A timestamp later than now plus `future_tolerance_hours` is rejected "
        "(rule `not_future`).",
    )
    after: str | None = Field(
        None, description="Name of a column this one must be >= (rule `order`)."
    )
    description: str = Field("", description="What the column holds.")

    @model_validator(mode="after")
    def _check(self) -> Column:
        if not _TYPE_PATTERN.match(self.type):
            raise ValueError(f"column {self.name}: unsupported type {self.type!r}")
        if (self.min is not None or self.max is not None) and self.type in (
            "VARCHAR",
            "BOOLEAN",
            "TIMESTAMP",
            "DATE",
        ):
            raise ValueError(f"column {self.name}: min/max need a numeric type, not {self.type}")
        if self.not_future and self.type not in ("TIMESTAMP", "DATE"):
            raise ValueError(f"column {self.name}: not_future needs TIMESTAMP or DATE")
        return self

    @property
    def is_decimal(self) -> bool:
        return self.type.startswith("DECIMAL")

    def rules(self) -> list[str]:
        """The rule names this column can fail, in reporting order."""
        out = []
        if self.required:
            out.append("required")
        if self.type != "VARCHAR":
            out.append("type")
        if self.allowed_values is not None or self.pattern is not None:
            out.append("allowed_values")
        if self.min is not None or self.max is not None:
            out.append("range")
        if self.not_future:
            out.append("not_future")
        if self.after is not None:
            out.append("order")
        return out

    def rule_text(self) -> str:
        """Short human wording of the column's rules.

        >>> Column(name="x", type="DOUBLE", min=0, max=1).rule_text()
        '0 ≤ value ≤ 1'
        """
        parts = []
        if self.allowed_values is not None:
            parts.append("one of " + ", ".join(self.allowed_values))
        if self.pattern is not None:
            parts.append(self.pattern_hint or f"matches {self.pattern}")
        if self.min is not None and self.max is not None:
            parts.append(f"{_num(self.min)} ≤ value ≤ {_num(self.max)}")
        elif self.min is not None:
            parts.append(f"≥ {_num(self.min)}")
        elif self.max is not None:
            parts.append(f"≤ {_num(self.max)}")
        if self.not_future:
            parts.append("not in the future")
        if self.after is not None:
            parts.append(f"≥ {self.after}")
        return "; ".join(parts)


class Contract(BaseModel):
    """The contract of one raw table.

    >>> from outcomes.core.contracts import load_contract
    >>> c = load_contract("ai_features")
    >>> c.one_of, c.names[:2]
    (('value_num', 'value_cat'), ('event_id', 'feature'))
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    one_of: tuple[str, ...] | None = Field(
        default=None, description="Exactly one of these columns must hold a value (rule `one_of`)."
    )
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> Contract:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"contract {self.table}: duplicate column names")
        for name in (*self.key, *(self.one_of or ())):
            if name not in names:
                raise ValueError(f"contract {self.table}: unknown column {name!r}")
        if not self.column(self.key[0]).required:
            raise ValueError(f"contract {self.table}: key column {self.key[0]} must be required")
        for c in self.columns:
            if c.after is not None and c.after not in names:
                raise ValueError(f"contract {self.table}: {c.name} after unknown column {c.after}")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def nullable_key(self) -> tuple[str, ...]:
        """Key columns that may be empty: two rows whose key values are equal or both empty
        have the same key (e.g. ``system`` of an assumption: empty = company-wide).

        >>> from outcomes.core.contracts import load_contract
        >>> load_contract("assumptions").nullable_key
        ('system',)
        """
        return tuple(k for k in self.key if not self.column(k).required)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.table} has no column {name!r}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
