"""Where the test suite's files are, for tests in any folder."""

from __future__ import annotations

from pathlib import Path

__all__ = ["APPS", "EXAMPLES", "ROOT", "SHARED", "TESTS"]

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the checkout
APPS = TESTS / "apps"  # small applications with their expected decisions
EXAMPLES = ROOT / "chameleonapi" / "examples"
# development data beside the checkout (absent in a bare clone; a worktree one level deeper finds it one level up)
SHARED = next((up / "shared" for up in (ROOT.parent, ROOT.parent.parent) if (up / "shared" / "data").is_dir()),
              ROOT.parent / "shared")
