"""`CHAMELEONAPI_TRAIN=background`: answer at once with the generic model, customize in a
thread, then swap the customized model into the engine the call site already uses."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["BackgroundCustomization", "Swappable", "serve_in_background"]

logger = logging.getLogger("chameleonapi")


class Swappable(Protocol):
    """An engine whose model can be replaced while it serves (`engines.ServedModel`)."""

    background: BackgroundCustomization | None

    def swap(self, model: Any) -> None: ...


E = TypeVar("E", bound=Swappable)


class BackgroundCustomization:
    """One background customization: `ready` once swapped in, `finished` when it has ended."""

    def __init__(
        self, engine: Swappable, build: Callable[[], Any], on_failure: Callable[[BaseException], None], what: str
    ) -> None:
        self.engine = engine
        self.ready = threading.Event()
        self.finished = threading.Event()
        self._build = build
        self._on_failure = on_failure
        self._what = what
        self._thread = threading.Thread(target=self._work, daemon=True, name=f"chameleonapi-customize-{what}")

    def start(self) -> None:
        self._thread.start()

    def _work(self) -> None:
        try:
            model = self._build()
            if model is None:
                return
            self.engine.swap(model)
            self.ready.set()
            logger.info("customized %s ready (%s)", self._what, model.name)
        except Exception as exc:  # the application keeps the generic model
            self._on_failure(exc)
        finally:
            self.finished.set()


def serve_in_background(
    engine: E, build: Callable[[], Any], on_failure: Callable[[BaseException], None], what: str
) -> E:
    """Start `build()` in a thread and return `engine`, which serves the generic model until
    the built model (None: keep the generic one) is swapped in."""
    engine.background = BackgroundCustomization(engine, build, on_failure, what)
    engine.background.start()
    return engine
