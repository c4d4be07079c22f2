"""`python -m molgdl` runs the CLI."""

import sys

from molgdl.cli import main

sys.exit(main())
