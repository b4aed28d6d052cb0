"""``python -m metrics``: the Outcomes command line (same as the ``outcomes`` script)."""

from metrics.cli import main

raise SystemExit(main())
