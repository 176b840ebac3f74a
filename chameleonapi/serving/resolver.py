"""One resolver per kind of model: the engine that serves each call site, chosen once.

The first call from a call site asks the kind's `Customizer` what to customize for there
(`CHAMELEONAPI_TRAIN`: `auto` builds it now, `background` serves the generic model while a
thread builds it, `never` serves the generic model); later calls reuse that engine. When
another process of the fleet holds the lease on the model (a shared store), `auto` too serves
the generic model and a thread waits for the published one. No lock
other call sites need is held meanwhile (`sites.SiteEngines`), and no failure reaches the
application: the generic model answers and the reason is said once.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from chameleonapi import config
from chameleonapi.leases import TrainingElsewhere, waiting
from chameleonapi.serving.background import serve_in_background
from chameleonapi.serving.notices import report_failure, say_once
from chameleonapi.serving.sites import SiteEngines

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.serving.callsites import CallSite
    from chameleonapi.serving.customizer import Customizer
    from chameleonapi.serving.engines import ServedModel

__all__ = ["Resolver"]


class Resolver:
    """Chooses and caches the engine of each call site for one kind of model."""

    def __init__(self, customizer: Customizer) -> None:
        self.customizer = customizer
        self._generic_lock = threading.Lock()
        self._sites = SiteEngines()
        self._generic: ServedModel | None = None
        self.override: ServedModel | None = None

    def generic(self) -> ServedModel:
        """The engine of the generic model, shared by every site it serves (loaded once)."""
        with self._generic_lock:
            if self._generic is None:
                self._generic = self.customizer.engine(self.customizer.generic_model())
            return self._generic

    def engine_for(self, site: CallSite, provider: str) -> ServedModel:
        if self.override is not None:
            return self.override
        self.customizer.check_available()
        return self._sites.get(site, lambda: self._choose(site, provider), self.generic)

    def engine_at(self, site: CallSite) -> ServedModel | None:
        """The engine already chosen for `site`, if any."""
        return self._sites.peek(site)

    def _report(self, exc: BaseException) -> None:
        report_failure(exc, self.customizer.what, self.customizer.generic_name)

    def _customized(self, site: CallSite, provider: str, progress: bool) -> Any:
        plan = self.customizer.plan(site, provider)
        return None if plan is None else self.customizer.build(plan, progress)

    def _customized_later(self, site: CallSite, provider: str) -> Any:
        """In a background thread: the customized model, waiting for one trained elsewhere."""
        with waiting():
            return self._customized(site, provider, False)

    def _in_background(self, site: CallSite, provider: str) -> ServedModel:
        engine = self.customizer.engine(self.generic().model)
        return serve_in_background(
            engine, lambda: self._customized_later(site, provider), self._report, self.customizer.artifact
        )

    def _choose(self, site: CallSite, provider: str) -> ServedModel:
        try:
            mode = config.train_mode()
            if mode == "background":
                if site.live is not None and site.file is not None:
                    from chameleonapi.serving.specs import specs_at

                    specs_at(site)  # analysed now, while the calling frame can still be read
                return self._in_background(site, provider)
            model = self._customized(site, provider, config.progress()) if mode == "auto" else None
        except TrainingElsewhere as exc:  # another process of the fleet trains it: never wait on it
            say_once(f"{self.customizer.artifact} for {site.file}:{site.line}: {exc}; the {self.customizer.generic_name} "
                     "answers until it is published", logging.INFO)
            return self._in_background(site, provider)
        except ImportError:  # an install without the training extras serves the generic model
            model = None
        except Exception as exc:  # never let our failure reach the application
            self._report(exc)
            model = None
        return self.customizer.engine(model) if model is not None else self.generic()

    def reset(self, generic: bool = False) -> None:
        """Choose every site's engine again; with `generic`, also fetch the generic model
        again (its runtime and threads then follow the settings of the moment)."""
        self._sites.clear()
        if generic:
            with self._generic_lock:
                self._generic = None
