"""A faithful local emulator of the Genesys Cloud login service and platform API (SSO + OAuth parts).

Run it with ``python -m genesys_emulator --state-dir DIR --port 0 --seed FILE``; see ``emulator/README.md``.
"""

__version__ = "1.0.0"
