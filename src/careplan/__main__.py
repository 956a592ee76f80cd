"""Allow ``python -m careplan``."""

from careplan.cli import main

main()
