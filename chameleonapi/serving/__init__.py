"""Serving: what happens between an intercepted SDK call and the model that answers it.

One path for labels and objects alike (`calls.serve_labels` / `calls.serve_objects`):

- `callsites`: find the application's line that called the SDK (walking out of SDK, wrapt
  and chameleonapi frames; pinned for async clients' worker threads),
- `executors`: attribute work run by a thread pool to the frame that submitted it,
- `resolver`: one engine per call site, resolved once, generic over a `Customizer`
  (`labels.LABELS`, `objects.OBJECTS`), never holding a lock other sites need,
- `specs`: the decision the analysis finds at a call site,
- `budgets`: the training budget of each kind of model,
- `background`: serve the generic model now, customize in a thread, swap it in,
- `engines`: lock-guarded inference over one model, `listeners`: who is told what was served,
- `notices`: failures said once; the generic model answers instead.

The artifacts themselves are stored below this package (`chameleonapi.store` for models,
`chameleonapi.detection.heads` for detector heads, both on `chameleonapi.artifacts`).
Importing this package imports none of its modules.
"""

__all__: list[str] = []
