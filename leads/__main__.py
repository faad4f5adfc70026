"""`python -m leads`: see leads/cli.py."""
import sys

from leads.cli import main

if __name__ == "__main__":
    sys.exit(main())
