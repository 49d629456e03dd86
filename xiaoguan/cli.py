"""The `xiaoguan` console script (spec/cli.md): Django's command runner with the contract's exit codes."""

from __future__ import annotations

import os
import sys
import traceback

EXIT_CRASH = 3


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    args = ["xiaoguan", *(sys.argv[1:] if argv is None else argv)]
    try:
        execute_from_command_line(args)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the contract reserves exit 1 for bad input, so a crash must not use it
        traceback.print_exc()
        sys.exit(EXIT_CRASH)


if __name__ == "__main__":
    main()
