"""The YAML header of a SQL definition file, as frozen pydantic models.

A definition file starts with a block comment that holds YAML::

    /* ---
    name: hours_saved
    ...
    --- */
    select ...

``parse_header(text, schema)`` returns the header model for the file's schema
(``staging``, ``metrics`` or ``roi``) and where the SQL body starts; every problem raises
:class:`HeaderError` with the file line it comes from.

>>> text = "/* ---\\nname: x\\ndescription: d\\ngrain: g\\nkind: staging\\n--- */\\nselect 1\\n"
>>> parsed = parse_header(text, "staging")
>>> str(parsed.header.kind), parsed.body_line, parsed.body.strip()
('staging', 6, 'select 1')
>>> try:
...     parse_header(text.replace("grain", "grian"), "staging")
... except HeaderError as error:
...     print(error)
line 4: unknown header field 'grian'; fix: remove it or use one of: description, grain, kind, name, owner, tags, tests, title
line 1: missing required header field 'grain'; fix: add 'grain: ...'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, cast

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from outcomes.core.header_tests import HeaderTest, HeaderTestName
from outcomes.errors import OutcomesError


class FieldDefaults(Protocol):
    """What :func:`parse_header` needs of a folder's defaults
    (:class:`outcomes.core.header_defaults.HeaderDefaults`): the header fields with the ones it
    leaves out filled in. A protocol, so this module does not import the one that reads the file."""

    def apply(self, data: dict[str, Any], default_kind: Kind | None = None) -> dict[str, Any]: ...


HEADER_PATTERN = re.compile(
    r"\A(\s*)/\*[ \t]*---[ \t]*\r?\n(?P<yaml>.*?)^[ \t]*---[ \t]*\*/", re.S | re.M
)
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")

# Columns of a metric's output that have a fixed meaning (never dimensions nor extras).
STANDARD_COLUMNS = ("week_start", "value", "numerator", "denominator", "flag")


class Kind(StrEnum):
    staging = "staging"
    model = "model"
    drift = "drift"
    business = "business"
    cost = "cost"
    quality = "quality"
    roi = "roi"


class Unit(StrEnum):
    count = "count"  # type: ignore[assignment]  # shadows str.count on purpose
    ratio = "ratio"
    usd = "usd"
    hours = "hours"
    minutes = "minutes"
    ms = "ms"
    score = "score"
    tokens = "tokens"


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"
    neutral = "neutral"


class ThresholdMode(StrEnum):
    absolute = "absolute"
    change_pct = "change_pct"
    change_abs = "change_abs"
    vs_trailing_mean = "vs_trailing_mean"


class RoiCategory(StrEnum):
    benefit = "benefit"
    cost = "cost"


_FROZEN = ConfigDict(extra="forbid", frozen=True)


class Thresholds(BaseModel):
    """``{warn: x, alert: y}`` (absolute) or with ``mode``; at least one level is given."""

    model_config = _FROZEN

    warn: float | None = None
    alert: float | None = None
    mode: ThresholdMode = ThresholdMode.absolute
    # total: only the totals are checked, the company's (all dimensions null) and each AI
    # system's (only system set): a segment's noise does not page anyone; each: every
    # dimension row is checked (drift: each feature of each system is its own signal)
    scope: Literal["total", "each"] = "total"

    @model_validator(mode="after")
    def _one_level(self) -> Thresholds:
        if self.warn is None and self.alert is None:
            raise ValueError(
                "expected at least one of warn, alert; fix: add e.g. {warn: 0.9, alert: 0.8}"
            )
        return self


def _parse_tests(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value
    return tuple(value)


def _test_name(test: Any) -> str | None:
    """The name of a header test as written (``'unique(a, b)'`` -> ``'unique'``) or parsed."""
    return _test_call(test)[0]


def _test_call(test: Any) -> tuple[str | None, str | None]:
    """The name and first column of a header test as written or parsed.

    >>> _test_call("range(value, 0, 1)"), _test_call(HeaderTest.parse("unique(week_start)"))
    (('range', 'value'), ('unique', 'week_start'))
    """
    if isinstance(test, HeaderTest):
        return str(test.test), test.columns[0] if test.columns else None
    if isinstance(test, str):
        name, _, rest = test.partition("(")
        return name.strip(), rest.split(",", 1)[0].strip(" )") or None
    return None, None


class _Header(BaseModel):
    model_config = _FROZEN

    name: str
    description: str = Field(min_length=1)
    grain: str = Field(min_length=1)
    owner: str | None = None
    tests: tuple[HeaderTest, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError("expected a lowercase identifier (a-z, 0-9, _)")
        return value

    @field_validator("tests", mode="before")
    @classmethod
    def _tests(cls, value: Any) -> Any:
        return _parse_tests(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class StagingHeader(_Header):
    """Header of ``sql/staging/<name>.sql``."""

    title: str | None = None
    kind: Literal[Kind.staging] = Kind.staging


class MetricHeader(_Header):
    """Header of ``sql/metrics/<name>.sql``.

    Three tests are implied. Every metric has a value, so a header that lists no ``not_null``
    test gets ``not_null(value)`` first. A ratio is a share, so a ratio metric whose header
    lists no ``range`` test of its value gets ``range(value, 0, 1)`` last (a ratio that may
    pass 1 says so: ``range(value, 0, null)``). A metric has one row per week and dimensions,
    so its grain test is implied too: a header that lists no ``unique`` test gets
    ``unique(week_start, <dimensions>)``, after its ``not_null`` tests. A header that lists a
    test of the kind keeps its own.

    >>> h = MetricHeader(name="m", title="M", description="d", grain="g", kind="model",
    ...     unit="ratio", direction="neutral", dimensions=["system"])
    >>> [t.text for t in h.tests]
    ['not_null(value)', 'unique(week_start, system)', 'range(value, 0, 1)']
    """

    # ROI lines imply their own tests (RoiHeader): they key their rows by (week_start, system)
    # without declaring system a dimension
    IMPLIES_TESTS: ClassVar[bool] = True

    title: str = Field(min_length=1)
    kind: Kind
    unit: Unit
    direction: Direction
    dimensions: tuple[str, ...] = ()
    thresholds: Thresholds | None = None

    @model_validator(mode="before")
    @classmethod
    def _implied_tests(cls, data: Any) -> Any:
        if not cls.IMPLIES_TESTS or not isinstance(data, dict):
            return data
        tests = _parse_tests(data.get("tests"))
        dims = data.get("dimensions") or ()
        dims = [dims] if isinstance(dims, str) else dims
        if not isinstance(tests, tuple) or not isinstance(dims, list | tuple):
            return data  # the field validators say what is wrong
        if not any(_test_name(t) == HeaderTestName.not_null for t in tests):
            tests = ("not_null(value)", *tests)
        if data.get("unit") == Unit.ratio and not any(
            _test_call(t) == (HeaderTestName.range, "value") for t in tests
        ):
            tests = (*tests, "range(value, 0, 1)")
        if any(_test_name(t) == HeaderTestName.unique for t in tests):
            return dict(data, tests=tests)
        at = 0
        while at < len(tests) and _test_name(tests[at]) == HeaderTestName.not_null:
            at += 1
        implied = f"unique({', '.join(['week_start', *(str(d).lower() for d in dims)])})"
        return dict(data, tests=(*tests[:at], implied, *tests[at:]))

    @field_validator("kind")
    @classmethod
    def _not_staging(cls, value: Kind) -> Kind:
        if value is Kind.staging:
            raise ValueError(
                "kind 'staging' is for sql/staging files; fix: use model, drift, business, cost, quality or roi"
            )
        return value

    @field_validator("dimensions", mode="before")
    @classmethod
    def _dimension_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("dimensions")
    @classmethod
    def _dimension_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        value = tuple(v.lower() for v in value)
        for name in value:
            if not IDENTIFIER.match(name):
                raise ValueError(f"dimension {name!r} is not a column name")
            if name in STANDARD_COLUMNS:
                raise ValueError(
                    f"{name!r} is a standard metric column, not a dimension; fix: remove it from dimensions"
                )
        if len(set(value)) != len(value):
            raise ValueError("dimensions are listed twice")
        return value

    @field_validator("thresholds")
    @classmethod
    def _threshold_order(cls, t: Thresholds | None, info: ValidationInfo) -> Thresholds | None:
        direction = info.data.get("direction")
        if t is None or t.mode is not ThresholdMode.absolute or t.warn is None or t.alert is None:
            return t
        if direction is Direction.higher_is_better and t.alert > t.warn:
            raise ValueError(
                f"alert ({t.alert}) is above warn ({t.warn}) but higher is better; "
                "fix: alert must be the worse (lower) level"
            )
        if direction is Direction.lower_is_better and t.alert < t.warn:
            raise ValueError(
                f"alert ({t.alert}) is below warn ({t.warn}) but lower is better; "
                "fix: alert must be the worse (higher) level"
            )
        return t


class RoiHeader(MetricHeader):
    """Header of ``sql/roi/<name>.sql``: a metric plus its ledger category, formula and inputs.

    A ledger line has an amount in every row and one row per week and AI system, so a header
    that lists no ``not_null`` test gets ``not_null(amount)`` and one that lists no ``unique``
    test gets ``unique(week_start, system)`` after its not_null tests (the line keys its rows by
    system without declaring it a dimension, so the metric's implied tests do not apply).

    >>> h = RoiHeader(name="l", title="L", description="d", grain="g", category="cost")
    >>> [t.text for t in h.tests]
    ['not_null(amount)', 'unique(week_start, system)']
    """

    IMPLIES_TESTS: ClassVar[bool] = False

    kind: Kind = Kind.roi
    unit: Unit = Unit.usd
    direction: Direction = Direction.neutral
    category: RoiCategory
    formula: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _implied_line_tests(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        tests = _parse_tests(data.get("tests"))
        if not isinstance(tests, tuple):
            return data  # the field validator says what is wrong
        if not any(_test_name(t) == HeaderTestName.not_null for t in tests):
            tests = ("not_null(amount)", *tests)
        if not any(_test_name(t) == HeaderTestName.unique for t in tests):
            at = 0
            while at < len(tests) and _test_name(tests[at]) == HeaderTestName.not_null:
                at += 1
            tests = (*tests[:at], "unique(week_start, system)", *tests[at:])
        return dict(data, tests=tests)

    @model_validator(mode="before")
    @classmethod
    def _direction_from_category(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and "direction" not in data
            and data.get("category") in ("benefit", "cost")
        ):
            data = dict(
                data,
                direction="higher_is_better"
                if data["category"] == "benefit"
                else "lower_is_better",
            )
        return data


Header = StagingHeader | MetricHeader | RoiHeader
HEADER_MODELS: dict[str, type[_Header]] = {
    "staging": StagingHeader,
    "metrics": MetricHeader,
    "roi": RoiHeader,
}


class HeaderError(OutcomesError, ValueError):
    """Header problems, each ``(line, message)`` with a 1-based file line (or None)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        *,
        more: list[tuple[int | None, str]] | None = None,
    ):
        self.problems: list[tuple[int | None, str]] = [(line, message), *(more or [])]
        super().__init__("\n".join(f"line {ln}: {msg}" if ln else msg for ln, msg in self.problems))
        self.message = message
        self.line = line


@dataclass(frozen=True)
class ParsedHeader:
    header: StagingHeader | MetricHeader | RoiHeader
    header_line: int  # file line of the opening /* ---
    body: str  # the text after the closing --- */
    body_line: int  # file line on which ``body`` starts


def split_header(text: str) -> tuple[str, int, str, int, int]:
    """``(yaml_text, yaml_first_line, body, body_line, header_line)`` or HeaderError.

    >>> split_header("/* ---\\na: 1\\n--- */ select 1")[1:]
    (2, ' select 1', 3, 1)
    """
    match = HEADER_PATTERN.match(text)
    if not match:
        stripped = text.lstrip()
        line = text[: len(text) - len(stripped)].count("\n") + 1
        if stripped.startswith("/*") and "---" in stripped.split("\n", 1)[0]:
            raise HeaderError(
                "the header comment is not closed; fix: end it with a line '--- */'", line
            )
        raise HeaderError(
            "expected a YAML header first in the file; fix: start the file with '/* ---', "
            "the YAML fields, then '--- */'",
            line,
        )
    header_line = match.group(1).count("\n") + 1
    yaml_line = header_line + 1
    body = text[match.end() :]
    body_line = text[: match.end()].count("\n") + 1
    return match.group("yaml"), yaml_line, body, body_line, header_line


def parse_header(text: str, schema: str, defaults: FieldDefaults | None = None) -> ParsedHeader:
    """Parse and validate the header of a definition file of ``schema``, the fields it leaves
    out filled from its folder's ``defaults`` (:mod:`outcomes.core.header_defaults`)."""
    yaml_text, yaml_line, body, body_line, header_line = split_header(text)
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = yaml_line + mark.line if mark is not None else header_line
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise HeaderError(
            f"YAML syntax error: {problem}; fix: check indentation, colons and quotes", line
        ) from exc
    except yaml.YAMLError as exc:
        raise HeaderError(f"YAML error: {exc}", header_line) from exc
    if not isinstance(data, dict):
        raise HeaderError("expected the header to be YAML 'field: value' lines", yaml_line)
    model = HEADER_MODELS[schema]
    if defaults is not None:
        kind = model.model_fields["kind"]
        data = defaults.apply(data, None if kind.is_required() else kind.default)
    try:
        header = cast(StagingHeader | MetricHeader | RoiHeader, model.model_validate(data))
    except ValidationError as exc:
        # An unknown field first: a typo also makes the intended field "missing".
        order = {"extra_forbidden": 0, "missing": 2}
        errors = sorted(exc.errors(), key=lambda e: order.get(e["type"], 1))
        problems: list[tuple[int | None, str]] = [
            (_line_of(yaml_text, tuple(e["loc"]), yaml_line) or header_line, _describe(e, model))
            for e in errors
        ]
        raise HeaderError(problems[0][1], problems[0][0], more=problems[1:]) from exc
    return ParsedHeader(header=header, header_line=header_line, body=body, body_line=body_line)


def _describe(error: Any, model: type[_Header]) -> str:
    loc = [str(part) for part in error["loc"]]
    field = (
        "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
        or "header"
    )
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(sorted(model.model_fields))
        if len(loc) > 1:
            return f"unknown field {field!r}; fix: remove it"
        return f"unknown header field {field!r}; fix: remove it or use one of: {allowed}"
    if kind == "missing":
        return f"missing required header field {field!r}; fix: add '{loc[-1]}: ...'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "enum" or kind == "literal_error":
        return f"header field {field!r}: got {error.get('input')!r}; expected {message.removeprefix('Input should be ').lower()}"
    return f"header field {field!r}: {message}"


def _line_of(yaml_text: str, loc: tuple[Any, ...], first_line: int) -> int | None:
    """File line of the YAML node at ``loc`` (the deepest one that exists)."""
    try:
        node = yaml.compose(yaml_text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = None
            for key, value in node.value:
                if key.value == part:
                    found = (key, value)
                    break
            if found is None:
                break
            line = found[0].start_mark.line
            node = found[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return None if line is None else first_line + line
