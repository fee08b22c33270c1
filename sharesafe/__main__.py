"""`python -m sharesafe` runs the command-line interface."""

import sys

from sharesafe.cli import main

sys.exit(main())
