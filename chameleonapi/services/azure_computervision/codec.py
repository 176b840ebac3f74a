"""Computer Vision requests → image and options; tags, categories, objects → msrest models; errors.

Answers are the SDK's own msrest models built with `Model.deserialize(<REST JSON>)`, which
keeps read-only fields the constructors would drop (`DetectResult.objects`,
`DetectedObject.rectangle`); errors are the SDK's `ComputerVisionErrorResponseException`
built from a real HTTP-shaped error response.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chameleonapi.errors import Error, ServiceError
from chameleonapi.services.azure import codec as shared
from chameleonapi.services.azure.codec import LocalImage
from chameleonapi.services.azure_computervision.descriptor import DESCRIPTOR

__all__ = ["CATEGORY_LABELS", "body", "objects_json", "raise_error", "refusal", "response_model", "wanted"]

MODEL_VERSION = "2021-05-01"  # the v3.2 service's "latest"
SERVED_FEATURES = frozenset(DESCRIPTOR.operations)
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
    "drink_": ("beverage", "drink", "coffee", "espresso", "tea", "juice", "wine", "beer", "cocktail"),
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
# The service's object taxonomy above a detected class ("dog" -> "mammal" -> "animal",
# "car" -> "Land vehicle" -> "Vehicle"); classes not listed are reported without a parent.
_MAMMALS = ("bear", "cat", "cattle", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra", "monkey")
OBJECT_PARENTS: dict[str, str] = {
    **dict.fromkeys(_MAMMALS, "mammal"), "mammal": "animal", "bird": "animal",
    **dict.fromkeys(("car", "bus", "truck", "motorcycle", "bicycle", "train"), "Land vehicle"),
    "Land vehicle": "Vehicle", "airplane": "Vehicle", "boat": "Vehicle",
    **dict.fromkeys(("apple", "banana", "orange", "broccoli", "carrot"), "Food"),
    **dict.fromkeys(("pizza", "sandwich", "hot dog", "donut", "cake"), "Food"),
}


def _models():
    from azure.cognitiveservices.vision.computervision import models

    return models


def refusal(method: str, arguments: dict[str, Any]) -> ServiceError | None:
    """Why the local model cannot answer this call, or None when it can."""
    if method.startswith("analyze_image"):
        requested = arguments.get("visual_features") or ["Categories"]  # the service's default
        names = [shared.feature_name(f) for f in requested]
        unsupported = [n for n in names if n.lower() not in SERVED_FEATURES]
        if unsupported:
            return shared.not_served(f"Visual feature(s) {', '.join(unsupported)}")
        details = arguments.get("details")
        if details:
            return shared.not_served(f"Details {', '.join(shared.feature_name(d) for d in details)}", "InvalidDetails")
    return shared.check_language(arguments.get("language"))


def _categories(tags: Sequence[tuple[str, float]]) -> list[dict]:
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


def objects_json(image: LocalImage, detections: Sequence[Any]) -> list[dict]:
    """`DetectResult.objects` / `ImageAnalysis.objects` as REST JSON, with taxonomy parents."""
    out = []
    for det in detections:
        name = DESCRIPTOR.style(det.name)
        out.append(
            {
                "rectangle": shared.rect(det.box, image.width, image.height),
                "object": name,
                "confidence": round(det.score, 3),
                **({"parent": parent} if (parent := _parent(name, det.score)) else {}),
            }
        )
    return out


def _parent(name: str, confidence: float) -> dict | None:
    """The service's taxonomy parent chain of a detected class, or None at the top."""
    parent = OBJECT_PARENTS.get(name)
    if parent is None:
        return None
    node = {"object": parent, "confidence": round(confidence, 3)}
    above = _parent(parent, confidence)
    return node if above is None else {**node, "parent": above}


def wanted(method: str, arguments: dict[str, Any]) -> tuple[bool, bool]:
    """(tags, objects): what the answer to this call is made of."""
    if method.startswith("detect_objects"):
        return False, True
    names = {shared.feature_name(f).lower() for f in (arguments.get("visual_features") or ["Categories"])}
    return method.startswith("tag_image") or bool(names & {"tags", "categories"}), "objects" in names


def body(
    method: str,
    arguments: dict[str, Any],
    image: LocalImage,
    req_id: str,
    tags: Sequence[tuple[str, float]] | None,
    detections: Sequence[Any] | None,
) -> tuple[str, dict]:
    """(msrest model name, REST JSON body) of the answer made of these tags and detections."""
    version = arguments.get("model_version") or "latest"
    body: dict[str, Any] = {
        "requestId": req_id,
        "metadata": {"width": image.width, "height": image.height, "format": image.format},
        "modelVersion": MODEL_VERSION if version == "latest" else version,
    }
    if method.startswith("detect_objects"):
        body["objects"] = objects_json(image, detections or ())
        return "DetectResult", body
    names = {shared.feature_name(f).lower() for f in (arguments.get("visual_features") or ["Categories"])}
    if tags is not None:
        tag_json = [{"name": name, "confidence": score} for name, score in tags]
        if method.startswith("tag_image"):
            body["tags"] = tag_json
            return "TagResult", body
        if "tags" in names:
            body["tags"] = tag_json
        if "categories" in names:
            body["categories"] = _categories(tags)
    if detections is not None:
        body["objects"] = objects_json(image, detections)
    return "ImageAnalysis", body


def response_model(model_name: str, body_json: dict):
    """The SDK's msrest model `model_name` from REST JSON, as `Model.deserialize` makes it
    (read-only fields kept). Built with the models' own constructors, as msrest's deserializer
    instantiates them, without its generic machinery (a deserializer and its model table made
    per call, each value dispatched by name): 20 times cheaper; JSON outside what an answer
    holds (a key the model does not map, a type other than numbers, strings, lists and
    models) goes through `Model.deserialize` itself (`tests/providers/test_sdk_models.py`)."""
    models = _models()
    try:
        return _construct(models, models.__dict__[model_name], body_json)
    except _Unusual:
        return models.__dict__[model_name].deserialize(body_json)


class _Unusual(Error):
    """JSON the direct construction leaves to msrest."""


_BASIC = {"str": str, "float": float, "int": int}


def _construct(models, cls: Any, data: Any):
    """`cls(**attributes)` with its read-only attributes set after, as msrest's
    `Deserializer._instantiate_model` does."""
    if not isinstance(data, dict):
        raise _Unusual
    unmapped = len(data)
    kwargs: dict[str, Any] = {}
    readonly: dict[str, Any] = {}
    for attr, spec in cls._attribute_map.items():
        key = spec["key"]
        if attr == "additional_properties" and key == "":
            continue
        if "." in key:
            raise _Unusual
        value = None
        if key in data:
            unmapped -= 1
            value = _value(models, spec["type"], data[key])
        rules = cls._validation.get(attr, {})
        if rules.get("readonly"):
            readonly[attr] = value
        elif not rules.get("constant"):
            kwargs[attr] = value
    if unmapped or getattr(cls, "_subtype_map", None):
        raise _Unusual  # additional properties, flattened keys or polymorphism: msrest's own rules
    obj = cls(**kwargs)
    for attr, value in readonly.items():
        setattr(obj, attr, value)
    return obj


def _value(models, type_name: str, value: Any):
    if value is None:
        return None
    basic = _BASIC.get(type_name)
    if basic is not None:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _Unusual
        return basic(value)
    if type_name.startswith("[") and type_name.endswith("]"):
        if not isinstance(value, list):
            raise _Unusual
        return [_value(models, type_name[1:-1], item) for item in value]
    cls = models.__dict__.get(type_name)
    if isinstance(cls, type) and hasattr(cls, "_attribute_map"):
        return _construct(models, cls, value)
    raise _Unusual


def raise_error(instance, method: str, error: ServiceError, url: str, req_id: str):
    """Raise the SDK's ComputerVisionErrorResponseException, deserialized from an error response."""
    response = shared.error_response(error, url, req_id)
    models = _models()
    deserialize = getattr(instance, "_deserialize", None)
    if deserialize is None:
        from msrest import Deserializer

        deserialize = Deserializer({k: v for k, v in vars(models).items() if isinstance(v, type)})
    raise models.ComputerVisionErrorResponseException(deserialize, response) from None
