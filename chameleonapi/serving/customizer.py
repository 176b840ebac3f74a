"""What the resolver needs from a kind of model ("labels", "objects") to serve a call site."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from chameleonapi.serving.callsites import CallSite
    from chameleonapi.serving.engines import ServedModel

__all__ = ["Customizer"]


class Customizer(Protocol):
    """One kind of model: how to plan a customization from a call site's decision, build (or
    load) its artifact, and serve it.

    `artifact`, `what` and `generic_name` word the messages ("customized model ready",
    "customization failed (...); serving the generic model").
    """

    kind: str
    artifact: str
    what: str
    generic_name: str

    def check_available(self) -> None:
        """Raise the error the provider turns into the SDK's own when no model may answer."""

    def generic_model(self) -> Any:
        """The generic model of this kind (loaded or built once per cache folder)."""

    def engine(self, model: Any) -> ServedModel:
        """A fresh engine serving `model`."""

    def plan(self, site: CallSite, provider: str) -> Any | None:
        """What to customize for the call at `site`, or None to serve the generic model
        (the reason is said once)."""

    def build(self, plan: Any, progress: bool) -> Any | None:
        """The customized model of `plan`, from the store or trained and stored now; None
        when the generic model must answer instead (said once)."""
