"""``python -m chroma_lab.cli``: the ``chroma-lab`` command."""

import sys

from chroma_lab.cli import main

sys.exit(main())
