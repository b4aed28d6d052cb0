"""Folder defaults of definition headers: ``sql/<schema>/defaults.yml``.

Like dbt's folder-level configs in ``dbt_project.yml``, the file holds what most headers of a
folder would otherwise each repeat; a header that writes the field keeps its own value. The
parsed header holds the effective value, so the catalog, the checks and the build see no
difference between a written field and a default one. Today one field has a default: the
``owner`` of a metric by its ``kind``::

    owner:
      model: ml-platform@example.com
      cost: finops@example.com

>>> defaults = HeaderDefaults.model_validate({"owner": {"model": "ml@example.com"}})
>>> defaults.apply({"kind": "model"})
{'kind': 'model', 'owner': 'ml@example.com'}
>>> defaults.apply({"kind": "model", "owner": "me@example.com"})["owner"]
'me@example.com'
>>> defaults.apply({"kind": "cost"})
{'kind': 'cost'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from outcomes.core.blueprints import is_family, member_text
from outcomes.core.headers import HeaderError, Kind, ParsedHeader, parse_header

DEFAULTS_FILE = "defaults.yml"


class HeaderDefaults(BaseModel):
    """The defaults of one folder; each applies only where a header leaves the field out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: dict[Kind, str] = {}  # by the header's kind

    def apply(self, data: dict[str, Any], default_kind: Kind | None = None) -> dict[str, Any]:
        """The header fields ``data`` with the defaults it leaves out filled in."""
        if "owner" in data:
            return data
        kind = data.get("kind", default_kind)
        # Kind(kind) runs only when kind is one of Kind's values (a str, never None)
        owner = self.owner.get(Kind(cast(str, kind))) if kind in Kind.__members__.values() else None
        return data if owner is None else {**data, "owner": owner}


def load_header_defaults(folder: Path) -> HeaderDefaults:
    """The defaults of ``folder`` (none when it has no defaults file); HeaderError, with the
    file line, when the file is not valid.

    >>> load_header_defaults(Path("no-such-folder"))
    HeaderDefaults(owner={})
    """
    path = folder / DEFAULTS_FILE
    if not path.is_file():
        return HeaderDefaults()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return HeaderDefaults.model_validate(data)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise HeaderError(
            f"{DEFAULTS_FILE}: YAML syntax error: {exc.problem}; fix: check indentation and colons",
            mark.line + 1 if mark is not None else None,
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HeaderError(
            f"{DEFAULTS_FILE}: {where}: {first['msg']}; fix: write 'owner:' then one "
            "'<kind>: <owner>' line per kind",
            None,
        ) from exc


def schema_folder(path: Path, schema: str) -> Path:
    """The folder named ``schema`` that holds the definition file ``path`` (its own folder
    when none is named so).

    >>> schema_folder(Path("sql/metrics/model/accuracy.sql"), "metrics").as_posix()
    'sql/metrics'
    """
    for folder in path.parents:
        if folder.name == schema:
            return folder
    return path.parent


def parse_file_header(path: Path, schema: str, name: str | None = None) -> ParsedHeader:
    """The header of the definition file ``path``, its folder's defaults applied: what the
    registry parses, for code that reads one file. ``name``: the metric of a family file
    (:mod:`outcomes.core.blueprints`) whose header is wanted.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "metrics"
    >>> folder.mkdir()
    >>> _ = (folder / DEFAULTS_FILE).write_text("owner:\\n  model: ml@example.com\\n")
    >>> _ = (folder / "m.sql").write_text("/* ---\\nname: m\\ntitle: M\\ndescription: d\\n"
    ...     "grain: g\\nkind: model\\nunit: count\\ndirection: neutral\\n--- */\\nselect 1\\n")
    >>> parse_file_header(folder / "m.sql", "metrics").header.owner
    'ml@example.com'
    """
    defaults = load_header_defaults(schema_folder(path, schema))
    text = path.read_text(encoding="utf-8")
    if name is not None and is_family(text):
        text = member_text(text, name) or text
    return parse_header(text, schema, defaults)
