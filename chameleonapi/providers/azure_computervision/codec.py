"""Azure Computer Vision (azure-cognitiveservices-vision-computervision, API v3.2).

The legacy client has no single choke point: each operation sends its own request, so each
method of `ComputerVisionClientOperationsMixin` (the class that defines them) is wrapped.
Answers are the SDK's own msrest models built with `Model.deserialize(<REST JSON>)`, which
keeps read-only fields the constructors would drop; errors are the SDK's
`ComputerVisionErrorResponseException` built from a real HTTP-shaped error response.
"""

from __future__ import annotations

import inspect
from typing import Any

from chameleonapi import config
from chameleonapi.imaging import AZURE_CV
from chameleonapi.providers import azure as shared
from chameleonapi.providers.azure import ServiceError
from chameleonapi.providers.base import Patch

MODULE = "azure.cognitiveservices.vision.computervision.operations._computer_vision_client_operations"
MIXIN = "ComputerVisionClientOperationsMixin"
MODEL_VERSION = "2021-05-01"  # the v3.2 service's "latest"
SERVED_FEATURES = {"tags", "categories", "objects"}
CATEGORY_CUT = 0.5  # a category is reported when its labels are this likely

# Azure's 86-category taxonomy, filled from the labels the generic model really produces
# (ImageNet classes and their WordNet ancestors). Taxonomy entries with no such label
# (indoor_, outdoor_grass, sky_, people_portrait, ...) are never reported.
CATEGORY_LABELS: dict[str, tuple[str, ...]] = {
    "animal_": ("animal",),
    "animal_bird": ("bird",),
    "animal_cat": ("cat",),
    "animal_dog": ("dog",),
    "animal_horse": ("horse", "sorrel"),
    "animal_panda": ("giant panda", "panda"),
    "building_": ("building",),
    "building_church": ("church building", "church"),
    "drink_": ("beverage",),
    "food_": ("food", "foodstuff"),
    "food_bread": ("bread", "loaf of bread"),
    "food_fastfood": ("cheeseburger", "hamburger", "hotdog", "hot dog"),
    "food_pizza": ("pizza",),
    "object_screen": ("screen", "monitor", "television"),
    "outdoor_mountain": ("mountain", "alp", "volcano"),
    "outdoor_oceanbeach": ("seashore", "sandbar"),
    "people_": ("person",),
    "plant_": ("plant", "vascular plant"),
    "plant_flower": ("flower",),
    "text_menu": ("menu",),
    "text_sign": ("street sign", "signboard"),
    "trans_bicycle": ("bicycle",),
    "trans_bus": ("bus",),
    "trans_car": ("car", "motor vehicle"),
}
# Besides "x_" giving way to "x_child": WordNet files beverages under food, Azure does not.
SUPERSEDES: dict[str, tuple[str, ...]] = {"drink_": ("food_",)}


def _models():
    from azure.cognitiveservices.vision.computervision import models

    return models


def _feature_name(feature: Any) -> str:
    value = getattr(feature, "value", feature)
    return str(value)


_signatures: dict[str, inspect.Signature] = {}


def _arguments(name: str, wrapped, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The call's arguments by parameter name, defaults filled in (as the SDK method sees them)."""
    if name not in _signatures:
        _signatures[name] = inspect.signature(wrapped)
    bound = _signatures[name].bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _refusal(method: str, arguments: dict[str, Any]) -> ServiceError | None:
    """Why the local model cannot answer this call, or None when it can."""
    if method.startswith("analyze_image"):
        requested = arguments.get("visual_features") or ["Categories"]  # the service's default
        names = [_feature_name(f) for f in requested]
        unsupported = [n for n in names if n.lower() not in SERVED_FEATURES]
        if unsupported:
            return shared.not_served(f"Visual feature(s) {', '.join(unsupported)}")
        details = arguments.get("details")
        if details:
            return shared.not_served(f"Details {', '.join(_feature_name(d) for d in details)}", "InvalidDetails")
    return shared.check_language(arguments.get("language"))


def _categories(tags: list[tuple[str, float]]) -> list[dict]:
    """Taxonomy categories whose labels score above the cut; a parent gives way to its child."""
    score_of = dict(tags)
    found: dict[str, float] = {}
    for category, labels in CATEGORY_LABELS.items():
        score = max((score_of.get(label, 0.0) for label in labels), default=0.0)
        if score >= CATEGORY_CUT:
            found[category] = score
    for category in list(found):
        parent = category.split("_", 1)[0] + "_"
        for general in ((parent,) if category != parent else ()) + SUPERSEDES.get(category, ()):
            found.pop(general, None)
    if not found:
        best = max(
            (score_of.get(label, 0.0) for labels in CATEGORY_LABELS.values() for label in labels), default=0.0
        )
        return [{"name": "others_", "score": round(1.0 - best, 6)}]
    return [{"name": name, "score": score} for name, score in sorted(found.items(), key=lambda kv: -kv[1])]


def _body(method: str, arguments: dict[str, Any], image: shared.LocalImage, req_id: str) -> tuple[str, dict]:
    """(msrest model name, REST JSON body) of the answer."""
    from chameleonapi.detection.azure_json import computer_vision_objects

    version = arguments.get("model_version") or "latest"
    body: dict[str, Any] = {
        "requestId": req_id,
        "metadata": {"width": image.width, "height": image.height, "format": image.format},
        "modelVersion": MODEL_VERSION if version == "latest" else version,
    }
    if method.startswith("detect_objects"):
        body["objects"] = computer_vision_objects(image, method)
        return "DetectResult", body
    names = {_feature_name(f).lower() for f in (arguments.get("visual_features") or ["Categories"])}
    if method.startswith("tag_image") or names & {"tags", "categories"}:
        tags = shared.rank_tags([image], method)[0]
        tag_json = [{"name": name, "confidence": score} for name, score in tags]
        if method.startswith("tag_image"):
            body["tags"] = tag_json
            return "TagResult", body
        if "tags" in names:
            body["tags"] = tag_json
        if "categories" in names:
            body["categories"] = _categories(tags)
    if "objects" in names:
        body["objects"] = computer_vision_objects(image, method)
    return "ImageAnalysis", body


def _raise(instance, method: str, error: ServiceError, url: str, req_id: str):
    """Raise the SDK's ComputerVisionErrorResponseException, deserialized from an error response."""
    shared.record_error(method, error)
    response = shared.http_response(error.status, error.body(), url, req_id)
    models = _models()
    deserialize = getattr(instance, "_deserialize", None)
    if deserialize is None:
        from msrest import Deserializer

        deserialize = Deserializer({k: v for k, v in vars(models).items() if isinstance(v, type)})
    raise models.ComputerVisionErrorResponseException(deserialize, response) from None


def _wrapper(method: str, path: str):
    """Wrap one Computer Vision operation; `path` is its REST path, for the response URL."""
    from_stream = method.endswith("_in_stream")

    def wrapper(wrapped, instance, args, kwargs):
        arguments = _arguments(method, wrapped, args, kwargs)
        refusal = _refusal(method, arguments)
        if refusal is not None and config.passthrough():
            return wrapped(*args, **kwargs)
        endpoint = str(getattr(getattr(instance, "config", None), "endpoint", "") or "").rstrip("/")
        url = f"{endpoint}/vision/v3.2{path}"
        req_id = shared.request_id()
        try:
            if refusal is not None:
                raise refusal
            if from_stream:
                data = shared.read_stream(arguments["image"])
            else:
                data = shared.image_from_url(arguments["url"], AZURE_CV)
            image = shared.load_image(data, AZURE_CV)
            model_name, body = _body(method, arguments, image, req_id)
        except ServiceError as error:
            _raise(instance, method, error, url, req_id)
        result = _models().__dict__[model_name].deserialize(body)
        if arguments.get("raw"):
            from msrest.pipeline import ClientRawResponse

            return ClientRawResponse(result, shared.http_response(200, body, url, req_id))
        return result

    return wrapper


METHODS = {
    "tag_image": "/tag",
    "tag_image_in_stream": "/tag",
    "analyze_image": "/analyze",
    "analyze_image_in_stream": "/analyze",
    "detect_objects": "/detect",
    "detect_objects_in_stream": "/detect",
}


def patches() -> list[Patch]:
    return [Patch(MODULE, f"{MIXIN}.{method}", _wrapper(method, path)) for method, path in METHODS.items()]
