"""Serving: what happens between an intercepted SDK call and the model that answers it.

One path for labels and objects alike, grouped by what a reader looks for:

- the call path — `calls` (`serve_labels` / `serve_objects`, what the patches call),
  `callsites` (the application's line that called the SDK, also for async clients and
  thread pools), `notices` (failures said once; listeners told what was served);
- the model resolution — `resolution` (the decision at a call site, the kind's budget, one
  engine per call site chosen once by a resolver generic over a `Customizer`), with the two
  kinds of model it resolves: `labels.LABELS` and `objects.OBJECTS`;
- the inference and the background work — `engines` (lock-guarded inference over one model),
  `background` (serve the generic model now, customize in a thread, swap it in).

The artifacts themselves are stored below this package (`chameleonapi.store` for models,
`chameleonapi.detection.heads` for detector heads, both on `chameleonapi.artifacts`).
Importing this package imports none of its modules.
"""

__all__: list[str] = []
