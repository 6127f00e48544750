"""``python -m cenas_gym.cli``: the same as the ``cenas-gym`` command."""

import sys

from cenas_gym.cli import main

sys.exit(main())
