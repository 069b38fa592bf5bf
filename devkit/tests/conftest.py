"""Tests of the dev kit itself (``make devkit-tests``; the ``devkit`` gate of ``make test``)."""

import os
import sys

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if KIT not in sys.path:
    sys.path.insert(0, KIT)
