"""Settings of miss_helper_returns_labels (a sibling module)."""
DEFAULT_PESTS = ["Rat", "Cockroach", "Termite"]
