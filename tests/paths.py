"""Where the test suite's files are, for tests in any folder."""

from __future__ import annotations

from pathlib import Path

__all__ = ["APPS", "EXAMPLES", "ROOT", "SHARED", "TESTS"]

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the checkout
APPS = TESTS / "apps"  # small applications with their expected decisions
EXAMPLES = ROOT / "chameleonapi" / "examples"
# development data beside the checkout, or beside the folder of worktrees it is in (absent in a bare clone)
SHARED = next((p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "data").is_dir()),
              ROOT.parent / "shared")
