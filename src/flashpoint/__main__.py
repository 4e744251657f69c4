"""``python -m flashpoint ...``: the same command line as the ``flashpoint`` script."""

from flashpoint.cli import main

if __name__ == "__main__":  # pragma: no cover - run as a module
    raise SystemExit(main())
