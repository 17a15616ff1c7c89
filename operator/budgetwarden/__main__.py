"""`python -m budgetwarden` is the same as the `budgetwarden` command."""

import sys

from budgetwarden.cli import main

sys.exit(main())
