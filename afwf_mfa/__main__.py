"""``python -m afwf_mfa``: the same commands Alfred runs."""

import sys

from .cli import main

sys.exit(main())
