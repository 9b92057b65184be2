#!/usr/bin/env python3
"""Independent verifier of Catena evidence bundles (catena-evidence/1): the command.

Written from docs/evidence.md alone, with nothing but the Python standard library, so that a
court need not trust the `catena` binary (the code is catena_client/evidence.py).

    python3 verify_evidence.py BUNDLE.json [--json]
    python3 verify_evidence.py BUNDLE.json BUNDLE2.json ...   (one line each)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from catena_client.evidence import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv))
