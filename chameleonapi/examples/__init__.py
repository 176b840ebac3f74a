"""Example applications, written against the official SDKs with no chameleonapi code."""
