"""`python -m chameleonapi ...`: the same command line as `chameleonapi ...`."""

import sys

from chameleonapi.cli import main

if __name__ == "__main__":
    sys.exit(main())
