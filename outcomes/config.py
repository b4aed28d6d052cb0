"""Every setting of Outcomes, in one pydantic-settings class.

Sources, strongest first: arguments, environment (``OUTCOMES_`` prefix, ``__`` for
nested fields), ``.env``, ``outcomes.toml`` (both found at the project root, or the
folder named by ``OUTCOMES_HOME``), then the defaults below. Relative paths resolve
against the project root, never against the working directory.

>>> s = Settings(warehouse_path="data/x.duckdb")
>>> s.warehouse_path == PROJECT_ROOT / "data" / "x.duckdb"
True
>>> s.sandbox.query_seconds
10.0
"""

from __future__ import annotations

import datetime as dt
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent
# Run from a clone, the files that ship with the code (sql/, app.py, app_pages/) sit beside
# the package; installed with pip, setup.py copied them into
# outcomes/bundle/.
IS_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "sql").is_dir()
SHIPPED_DIR = _CHECKOUT if IS_CHECKOUT else _PACKAGE / "bundle"
BUNDLED_SQL_DIR = SHIPPED_DIR / "sql"
# Where data/, .env and outcomes.toml live: OUTCOMES_HOME, else the clone, else the working
# directory of an installed copy.
PROJECT_ROOT = Path(
    os.environ.get("OUTCOMES_HOME") or (_CHECKOUT if IS_CHECKOUT else Path.cwd())
).resolve()
# settings whose default is a file that ships with the code: found there when the project
# root has none of its own
_SHIPPED_DEFAULTS = ("sql_dir",)


class Role(StrEnum):
    """What a person may do (the table is ``outcomes.core.authz.PERMISSIONS``)."""

    viewer = "viewer"
    operator = "operator"
    analyst = "analyst"
    admin = "admin"


class ReferenceMode(StrEnum):
    fixed = "fixed"
    trailing = "trailing"


class DriftSettings(BaseModel):
    """How the drift reference window is chosen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reference_mode: ReferenceMode = Field(
        default=ReferenceMode.fixed,
        description="`fixed`: the first `reference_weeks` complete weeks of data; "
        "`trailing`: the `reference_weeks` weeks before the week being tested.",
    )
    reference_weeks: int = Field(
        default=4, ge=1, le=52, description="Weeks in the reference window."
    )
    min_rows: int = Field(
        default=200,
        ge=1,
        description="Fewer rows than this in the reference or the current week: "
        "the drift row is marked insufficient, not alerted (below ~200 rows a 10-bin PSI "
        "is mostly noise: its expected value with no drift is about 9 * (1/n_ref + 1/n_cur)).",
    )


class CbpeSettings(BaseModel):
    """The reference window CBPE calibrates confidence on (metrics.estimated_accuracy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_reference_labels: int = Field(
        default=1000,
        ge=1,
        description="A system's calibration window is its first `drift.reference_weeks` "
        "complete weeks, extended week by week until it holds at least this many labelled "
        "events with a confidence (never past the last complete week; with fewer in the whole "
        "history the fit uses them all and `main.calibration.reference_short` says so). On a "
        "few dozen labels NannyML's check cannot tell a calibration from noise and leaves the "
        "raw confidence in place.",
    )


class SparkSettings(BaseModel):
    """Where `outcomes build --engine spark` runs (see the README, "Building on Spark")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = Field(
        default="local[2]",
        description="Spark master (`local[2]`, `spark://host:7077`, `yarn`) or a Spark Connect "
        "URL (`sc://host:15002`) the build runs its SQL on.",
    )
    raw_dir: Path | None = Field(
        default=None,
        description="Folder where the build and Spark exchange Parquet (the raw tables going "
        "in, each definition's rows coming back); on a cluster, storage both this machine and "
        "the executors see. Unset: a temporary folder on this machine.",
    )


class SandboxSettings(BaseModel):
    """Limits for SQL typed into the app (workbench preview)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query_seconds: float = Field(
        default=10.0, gt=0, description="Wall-clock limit; the query is interrupted."
    )
    memory: str = Field(
        default="500MB", description="DuckDB memory_limit for the sandbox connection."
    )
    rows: int = Field(default=10_000, ge=1, description="At most this many rows are returned.")
    threads: int = Field(default=2, ge=1, description="DuckDB threads for the sandbox connection.")
    process_memory_mb: int = Field(
        default=2048,
        ge=256,
        description="OS limit (RLIMIT_AS, MiB) on the separate process each preview runs in: "
        "a query building one huge value is stopped there instead of taking the app down.",
    )


class AuthSettings(BaseModel):
    """Who signs in and which role they get (see SECURITY.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = Field(
        default="",
        description="Name of the `[auth.<provider>]` section of `.streamlit/secrets.toml` that "
        "`st.login` uses; empty: the `[auth]` section itself. Sign-in is on whenever "
        "`[auth]` exists, and required when the app listens on anything but loopback.",
    )
    identity_claim: str = Field(
        default="email",
        description="Claim recorded as who acted (notes, sign-offs, closes); `sub` when absent.",
    )
    role_claim: str = Field(
        default="groups", description="Claim holding the person's groups (a list or a string)."
    )
    group_roles: dict[str, Role] = Field(
        default_factory=lambda: {
            "outcomes-viewers": "viewer",
            "outcomes-operators": "operator",
            "outcomes-analysts": "analyst",
            "outcomes-admins": "admin",
        },
        validate_default=True,
        description="Group -> role; the strongest role of a person's groups applies, viewer "
        "when none is listed.",
    )
    local_user: str = Field(
        default="local",
        min_length=1,
        description="Single-user mode (loopback, no `[auth]`): the one identity every action "
        "is recorded under.",
    )
    local_role: Role = Field(
        default=Role.admin, description="Single-user mode: the local identity's role."
    )


class DigestSettings(BaseModel):
    """Delivery of the weekly digest (`outcomes digest`): SMTP, webhooks, routing by owner."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    smtp_host: str = Field(default="", description="SMTP server; empty: no email is sent.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP session with STARTTLS."
    )
    smtp_user: str = Field(default="", description="SMTP login; empty: no login.")
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="SMTP password (set it in the environment or .env)."
    )
    sender: str = Field(
        default="outcomes@localhost", description="From address of the digest emails."
    )
    routes: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Owner (the `owner:` of metric headers) -> recipients of that owner's "
        "items: email addresses, or http(s) URLs of Slack-compatible webhooks.",
    )
    everything_to: list[str] = Field(
        default_factory=list,
        description="Recipients of the whole digest (every owner's items, and items without "
        "an owner): email addresses or webhook URLs.",
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, description="Timeout of one SMTP session or webhook call."
    )


class Settings(BaseSettings):
    """Settings of Outcomes. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="OUTCOMES_",
        env_nested_delimiter="__",
        env_file=str(PROJECT_ROOT / ".env"),
        toml_file=str(PROJECT_ROOT / "outcomes.toml"),
        extra="forbid",
        frozen=True,
    )

    warehouse_path: Path = Field(
        Path("data/warehouse.duckdb"),
        description=(
            "The built snapshot the app reads (swapped in atomically by `outcomes build`). The "
            "rows of its large staging tables are Parquet parts in the folder beside it "
            "(`data/warehouse.parts/`), shared by successive snapshots: back up or move the two "
            "together."
        ),
    )
    raw_path: Path = Field(
        Path("data/raw.duckdb"),
        description=(
            "Raw store written by `outcomes ingest`: small raw tables, quarantine, load ledger; "
            "the large tables' rows are Parquet files, one per load, in the folder beside it "
            "(`data/raw.segments/`): move, back up or restore the two together."
        ),
    )
    state_path: Path = Field(
        Path("data/state.sqlite"),
        description="State store for what people write in the app (notes, sign-offs, audit log).",
    )
    sql_dir: Path = Field(Path("sql"), description="Folder of staging, metric and ROI SQL files.")
    demo_dir: Path = Field(
        Path("data/demo"), description="Where `outcomes demo` writes source files."
    )
    assumptions_file: Path = Field(
        Path("assumptions.csv"),
        description="Your version-controlled assumptions register (CSV), loaded by every build; "
        "none at first: a new install's register is empty (the demo loads its own).",
    )
    week_start: Annotated[int, Field(ge=1, le=7)] = Field(
        1, description="First day of the reporting week, ISO numbering: 1 = Monday ... 7 = Sunday."
    )
    timezone: str = Field(
        "UTC", description="IANA time zone in which timestamps are bucketed into weeks."
    )
    currency: str = Field(
        "USD", min_length=3, max_length=3, description="Reporting currency (ISO 4217)."
    )
    future_tolerance_hours: float = Field(
        24.0, ge=0, description="Ingest rejects timestamps later than now plus this many hours."
    )
    ingest_settle_seconds: float = Field(
        0.0,
        ge=0,
        description="Ingest skips (and a later run picks up) a file modified less than this many "
        "seconds ago, as it may still be written; 0 checks only for changes during the read.",
    )
    work_memory: str = Field(
        "40%",
        pattern=r"^\s*\d+(\.\d+)?\s*(%|[KMGT]i?B)\s*$",
        description="DuckDB memory_limit of ingest and build (`40%` of this machine's memory, "
        "or e.g. `8GB`): past it they spill to a temporary folder beside the store instead of "
        "growing, so a large load or build leaves room for the app.",
    )
    label_coverage_floor: float = Field(
        0.2,
        ge=0,
        le=1,
        description="A week whose label coverage is below this is marked provisional.",
    )
    freshness_hours: float = Field(
        48.0, gt=0, description="A source or snapshot older than this is flagged stale."
    )
    drift: DriftSettings = Field(
        default_factory=DriftSettings, description="Drift reference window."
    )
    cbpe: CbpeSettings = Field(default_factory=CbpeSettings, description="CBPE calibration window.")
    spark: SparkSettings = Field(
        default_factory=SparkSettings, description="The Spark engine of `outcomes build`."
    )
    sandbox: SandboxSettings = Field(
        default_factory=SandboxSettings, description="Workbench sandbox limits."
    )
    warm_pages: bool = Field(
        True,
        description="Whenever a new snapshot appears, the app server computes the figures "
        "its pages asked for on the previous one, before anyone opens them "
        "(outcomes/app/warmup.py; `<warehouse>.warm-status.json` says when it last did).",
    )
    review_overdue_weeks: int = Field(
        2,
        ge=1,
        description="An alert ongoing for more weeks than this without acknowledgement is "
        "listed as overdue in the weekly review and the digest.",
    )
    app_url: str = Field(
        "http://127.0.0.1:8501",
        description="Address of the app as readers reach it: the digest's links point there.",
    )
    digest: DigestSettings = Field(
        default_factory=DigestSettings, description="Weekly digest delivery."
    )
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Sign-in and roles.")
    build_as_of: dt.datetime | None = Field(
        None,
        description="The build's clock, fixed (UTC, e.g. `2026-11-19T12:00:00`): the time a build "
        "records and SQL reads as `setting('as_of')`, which decides the current (partial) week; "
        "for reproducible builds. Unset: the real time.",
    )

    @field_validator("build_as_of")
    @classmethod
    def _naive_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        # the build keeps naive UTC times to the second
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.replace(microsecond=0) if value is not None else None

    @field_validator("work_memory")
    @classmethod
    def _workable_memory(cls, value: str) -> str:
        # DuckDB refuses a share above 100%; below 64 MB every load or build runs out of memory
        text = value.strip()
        number = float(re.match(r"[\d.]+", text).group())  # type: ignore[union-attr]
        if text.endswith("%"):
            if not 1 <= number <= 100:
                raise ValueError(
                    f"work_memory {value!r}: a share of this machine's memory is 1% to 100%"
                )
        else:
            unit = re.sub(r"[\d.\s]", "", text)
            scale = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
                     "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]  # fmt: skip
            if number * scale < 64e6:
                raise ValueError(f"work_memory {value!r}: at least 64MB (loads and builds need it)")
        return text

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'"
            ) from exc
        return value

    @model_validator(mode="after")
    def _anchor_paths(self) -> Settings:
        for name in (
            "warehouse_path",
            "raw_path",
            "state_path",
            "sql_dir",
            "demo_dir",
            "assumptions_file",
        ):
            value: Path = getattr(self, name)
            if not value.is_absolute():
                resolved = PROJECT_ROOT / value
                if name in _SHIPPED_DEFAULTS and not resolved.exists():
                    shipped = SHIPPED_DIR / value
                    resolved = shipped if shipped.exists() else resolved
                object.__setattr__(self, name, resolved.resolve())
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )


def get_settings(**overrides: object) -> Settings:
    """Read the settings afresh (environment and files), with optional overrides.

    >>> get_settings(currency="EUR").currency
    'EUR'
    """
    return Settings(**overrides)  # type: ignore[arg-type]
