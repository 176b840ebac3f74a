"""The one door into serving for the layers above it: the SDK patches, the switch, the pytest
plugin and the command line import serving's names from here, never its modules.

`serve_labels` / `serve_objects` answer a patched call (`record_errors` notes the errors
answered instead); `labels_resolver` / `object_resolver` hold one engine per call site;
`add_listener` tells a callable about every `ServedCall`; `hook_executors` attributes
thread-pool work to the code that submitted it.
"""

from __future__ import annotations

from chameleonapi.serving.calls import (
    decision_names_objects,
    labels_resolver,
    object_resolver,
    record_errors,
    serve_labels,
    serve_objects,
)
from chameleonapi.serving.callsites import find_call_site, hook_executors, pinned_call_site, unhook_executors
from chameleonapi.serving.engines import Engine
from chameleonapi.serving.notices import ServedCall, add_listener, remove_listener

__all__ = [
    "Engine", "ServedCall", "add_listener", "decision_names_objects", "find_call_site", "hook_executors", "labels_resolver",
    "object_resolver", "pinned_call_site", "record_errors", "remove_listener", "serve_labels", "serve_objects",
    "unhook_executors",
]
