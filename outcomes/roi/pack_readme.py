"""The README.md of an audit pack: what it holds, how to verify it and how to reproduce it."""

from __future__ import annotations

from typing import Any


def readme(manifest: dict[str, Any], names: list[str]) -> str:
    """The README of a pack with ``manifest`` and the files ``names`` (manifest.json aside)."""
    p = manifest["period"]
    t = manifest["totals"]
    problems = [n for n in manifest["sql_files"] if not n.get("matches_build")]
    closure = manifest["closure"]
    lines = [
        f"# ROI audit pack {p['label']} ({p['start']} .. {p['end']})",
        "",
        f"Build `{manifest['build_id']}`, {manifest['rows']} ledger rows, currency "
        f"{', '.join(manifest['currency'])}.",
        f"Benefits {t['benefits']}, costs {t['costs']}, net {t['net']}, ROI (net / costs) {t['roi']}.",
        "",
    ]
    if closure:
        state = (
            "matches" if closure["matches_this_pack"] else "DIFFERS FROM (restated since the close)"
        )
        lines += [
            f"The period was closed by {closure['closed_by']} at {closure['closed_at']} on build "
            f"`{closure['build_id']}`; this pack's ledger {state} the closed ledger "
            f"(sha256 `{closure['ledger_sha256']}`). `outcomes roi restatements` lists the differences.",
            "",
        ]
    else:
        lines += [
            "The period is not closed: these figures may still change with a later build.",
            "",
        ]
    lines += [
        "## Files",
        "",
        "- `ledger.csv`: one row per week, AI system and line; `amount` is exact (10 decimal",
        "  places); the company's figure of a week and line is the sum over systems,",
        "  `amount_display` is rounded half up to cents.",
        "- `lines.csv`: each line's formula and every input (value, unit, source, SQL hash, version).",
        "- `assumptions.csv`: the register in force, every loaded version, recorded changes.",
        "- `metric_inputs.csv`: the weekly values of the metrics the lines use.",
        "- `sql/`: the ROI and metric SQL files, and what they read.",
        "- `inputs/`: what the cost, inference and amortisation lines read, for the period's",
        "  weeks and only the columns they read: `ai_events.csv` (week, system, `cost_usd` of",
        "  each event), `cost_weeks.csv` (cost lines spread over the weeks, of the categories",
        "  the lines read), `cost_allocations.csv` (those weeks assigned to the systems: own, or",
        "  a share of a shared line by its driver, in whole cents), `system_weeks.csv` (weeks",
        "  since each system's go-live) and `build_settings.csv` (`setting(key)`).",
        "- `ledger.xlsx`: the same ledger; every amount, total, net, ROI, cumulative and payback",
        "  cell is a live formula over visible input cells. Spreadsheet cells are doubles, so it",
        "  recomputes to the cent; the exact decimals are in `ledger.csv`.",
        "- `manifest.json`: sha256 of every file, the canonical ledger hash, the totals.",
        "",
        "In every CSV a text cell beginning with `=`, `+`, `-`, `@`, a tab, a carriage return",
        "or a single quote has a single quote put in front of it, so that a spreadsheet shows it",
        "as text and never runs it as a formula (OWASP's advice on CSV injection); remove that",
        "one quote to get the original text. Plain numbers (`amount`, `amount_display`, `value`,",
        "`numerator`, `denominator`, `old_value`, an input's `value`) are left as they are, minus",
        "signs included. In `ledger.xlsx` text is written as text cells.",
        "",
        "## Verify",
        "",
        "    outcomes roi verify pack.zip",
        "",
        "checks every file against `manifest.json`, recomputes every line's amount from its",
        "inputs with exact decimal arithmetic and compares it with `ledger.csv`, recomputes the",
        "totals, and re-executes every `sql/roi` file over `metric_inputs.csv`, `assumptions.csv`",
        "and `inputs/` in a DuckDB with no file and no external access, comparing every line-week",
        "with `ledger.csv`; it exits 1 on any mismatch. Without Outcomes: `sha256sum` each file",
        "and compare with `manifest.json`; each `formula` in `ledger.csv` is plain arithmetic over the input",
        "names in `lines.csv` (`formula_filled` shows it with the numbers).",
        "",
        "A closed period's pack is signed: `signature.json` holds an Ed25519 signature of",
        "`manifest.json` by the installation's private key (which never leaves it). Keep the",
        "public key (`outcomes roi public-key`) and run `outcomes roi verify pack.zip",
        "--public-key outcomes.pem`: a valid signature proves that every file is exactly what",
        "the installation exported. Without that key, verify checks the signature against the",
        "key inside the pack, which proves the files were not changed after signing but not",
        "who signed. Recomputing proves the figures follow from the inputs; neither proves the",
        "inputs are true, nor that the private key was not stolen. A pack of a period that was",
        "not closed is not signed.",
        "",
        "## Reproduce",
        "",
        "1. Restore the raw data of the loads listed in `manifest.json` (`loads`: load id and",
        "   source file sha256) with `outcomes ingest`, and the assumptions of `assumptions.csv`.",
        "2. Put the files of `sql/` in the SQL folder (`OUTCOMES_SQL_DIR`).",
        "3. `outcomes build`, then `outcomes roi export "
        f"{p['label']} --out again.zip`: its `ledger.csv` and `ledger_sha256`",
        "   equal this pack's when the inputs are the same (the build id differs).",
        "",
    ]
    if problems:
        lines += ["## Warnings", ""]
        lines += [f"- `{n['object']}`: {n.get('problem')}" for n in problems]
        lines.append("")
    lines += ["## Contents", ""] + [f"- `{n}`" for n in names + ["manifest.json"]] + [""]
    return "\n".join(lines)
