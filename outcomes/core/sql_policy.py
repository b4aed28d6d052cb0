"""The functions no Outcomes SQL may call: the one allow-list of the sandbox and of the build.

A query typed into the workbench and a definition under ``sql/`` read only the snapshot's
tables. :func:`forbidden_calls` walks a parsed (sqlglot) statement and yields each call that
would reach further: a file or URL (``read_csv``, ``glob``, ``FROM '/etc/passwd'``), SQL from a
string that cannot be checked before it runs (``query``, ``query_table``), or the server's
settings, files and paths (``duckdb_settings()``, ``current_setting``, ``pragma_*``).

The preview (:mod:`outcomes.store.sandbox_statement`) refuses the query; ``outcomes validate``
and the build (:mod:`outcomes.core.definition_checks`) refuse the definition, with the line.
Our own macros call ``query_table`` inside their bodies; a definition calls the macro by name,
so the call it makes is the macro's, never ``query_table`` itself.

>>> import sqlglot
>>> tree = sqlglot.parse_one("select * from read_csv('/etc/passwd'), glob('*')", read="duckdb")
>>> [(name, kind) for _, name, kind in forbidden_calls(tree)]
[('read_csv', 'files'), ('glob', 'files')]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlglot import exp

# Table functions that read files or URLs (all are also blocked by enable_external_access=false;
# refusing them up front gives a plainer message and never touches the file system).
FILE_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_text",
        "read_blob",
        "glob",
        "sniff_csv",
        "read_xlsx",
        "iceberg_scan",
        "delta_scan",
        "sqlite_scan",
        "postgres_scan",
        "mysql_scan",
    }
)

# Functions that run SQL given as a string: the text cannot be checked before it runs.
DYNAMIC_FUNCTIONS = frozenset({"query", "query_table"})

# Functions and system views that show the server's settings, files and paths (the snapshot's
# path, the secret directory ...): a metric never needs them. Also every ``pragma_*``.
SERVER_METADATA = frozenset(
    {
        "duckdb_databases",
        "duckdb_settings",
        "duckdb_extensions",
        "duckdb_secrets",
        "duckdb_secret_types",
        "duckdb_temporary_files",
        "duckdb_logs",
        "duckdb_log_contexts",
        "duckdb_external_file_cache",
        "duckdb_memory",
        "current_setting",
        "getenv",
        "which_secret",
        "database_list",
        "pg_settings",
        "pg_database",
    }
)


def forbidden_calls(tree: Any) -> Iterator[tuple[Any, str, str]]:
    """``(node, name, kind)`` for each call in ``tree`` outside the allow-list; ``kind`` is
    ``files``, ``dynamic`` or ``metadata``."""
    for node in tree.walk():
        if isinstance(node, exp.Func):
            name = function_name(node)
            if name in FILE_FUNCTIONS:
                yield node, name, "files"
            elif name in DYNAMIC_FUNCTIONS:
                yield node, name, "dynamic"
            elif is_server_metadata(name):
                yield node, name, "metadata"
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            name = node.this.name
            if is_server_metadata(name.lower()):
                yield node, name, "metadata"
            elif node.this.quoted and ("/" in name or "." in name) and not node.db:
                yield node, f"FROM '{name}'", "files"  # DuckDB reads a quoted path as a file


def is_server_metadata(name: str) -> bool:
    """
    >>> is_server_metadata("pragma_database_list"), is_server_metadata("sum")
    (True, False)
    """
    return name in SERVER_METADATA or name.startswith("pragma_")


def function_name(node: exp.Func) -> str:
    """The lowercase name a sqlglot function node is called by in SQL."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()
