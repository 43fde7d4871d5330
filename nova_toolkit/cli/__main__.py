"""``python -m nova_toolkit.cli``: the ``nova-toolkit`` command."""

import sys

from nova_toolkit.cli import main

sys.exit(main())
