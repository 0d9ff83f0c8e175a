"""The `crm` command: Django's management commands with the project's settings preselected.

`crm serve`, `crm migrate`, `crm createadmin`, `crm demo --scale N`, `crm worker`, and every
other management command. `DATABASE_URL` selects the database.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["crm", *sys.argv[1:]])


if __name__ == "__main__":
    main()
