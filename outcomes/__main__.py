"""``python -m outcomes``: the Outcomes command line (same as the ``outcomes`` script)."""

from outcomes.cli import main

raise SystemExit(main())
