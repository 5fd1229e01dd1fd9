import sys

try:
    from sim.cli import main
except KeyboardInterrupt:  # Ctrl-C in the first moment, while Python imports
    sys.exit(130)

sys.exit(main())
