import sys

from eocexporter.cli import main

sys.exit(main())
