"""The serving names SDK adapters and tools import (`chameleonapi.serving` has one module per job).

`resolver` serves labels and `object_resolver` objects, one engine per call site;
`add_listener` tells a callable about every `ServedCall`.
"""

from __future__ import annotations

from chameleonapi.serving.calls import (
    decision_names_objects,
    object_resolver,
    record_errors,
    serve_labels,
    serve_objects,
)
from chameleonapi.serving.calls import labels_resolver as resolver
from chameleonapi.serving.callsites import (
    NO_FRAME,
    CallSite,
    find_call_site,
    hook_executors,
    pinned_call_site,
    unhook_executors,
)
from chameleonapi.serving.notices import ServedCall, add_listener, remove_listener, report_failure

__all__ = [
    "NO_FRAME", "CallSite", "ServedCall", "add_listener", "decision_names_objects", "find_call_site", "hook_executors", "object_resolver",
    "pinned_call_site", "record_errors", "remove_listener", "report_failure", "resolver", "serve_labels",
    "serve_objects", "unhook_executors",
]
