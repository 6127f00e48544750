"""``python -m cenas_gym.cli``: the same as the ``cenas-gym`` command."""

import sys

from cenas_gym.cli import main

if __name__ == "__main__":  # importing this module (API docs, inspection) runs nothing
    sys.exit(main())
