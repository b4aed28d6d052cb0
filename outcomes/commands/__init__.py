"""The command line's handlers, one module per group of commands (``outcomes.cli`` parses)."""
