"""Where the test suite's files are, for tests in any folder."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["APPS", "EXAMPLES", "ROOT", "SHARED", "TESTS"]

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the checkout
APPS = TESTS / "apps"  # small applications with their expected decisions
EXAMPLES = ROOT / "chameleonapi" / "examples"
# development data beside the checkout (absent in a bare clone; SHARED_DIR names it elsewhere)
SHARED = Path(os.environ.get("SHARED_DIR") or ROOT.parent / "shared")
