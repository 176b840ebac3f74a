"""Where google-cloud-vision is hooked: `ImageAnnotatorClient.batch_annotate_images`, sync and async.

Every helper (`label_detection`, `annotate_image`, ...) ends in the generated
`batch_annotate_images`, so one patch per client class serves them all. The client's
`__init__` is wrapped too, so clients construct without cloud credentials while enabled.
The `vision_v1p*beta1` modules have their own classes, patched the same way.
"""

from __future__ import annotations

from typing import Any

from chameleonapi import config
from chameleonapi.imaging import ImageInputError, decode_image
from chameleonapi.patches.base import Patch
from chameleonapi.services.google_vision import codec
from chameleonapi.services.google_vision.descriptor import DEFAULT_MAX_RESULTS, DESCRIPTOR, POLICY, VERSIONS

__all__ = ["patches", "serve_batch"]

PROVIDER = DESCRIPTOR.name
METHOD = "batch_annotate_images"


def _wants_anonymous(kwargs: dict) -> bool:
    transport = kwargs.get("transport")
    if kwargs.get("credentials") is not None or (transport is not None and not isinstance(transport, str)):
        return False  # a transport instance carries its own credentials
    options = kwargs.get("client_options")
    if isinstance(options, dict):
        return not (options.get("api_key") or options.get("credentials_file"))
    if options is not None:
        return not (getattr(options, "api_key", None) or getattr(options, "credentials_file", None))
    return True


def _init_wrapper(wrapped, instance, args, kwargs):
    """Construct without cloud credentials (real ones are kept for pass-through)."""
    if _wants_anonymous(kwargs):
        from google.auth.credentials import AnonymousCredentials

        credentials = None
        if config.passthrough():
            import google.auth
            from google.auth.exceptions import DefaultCredentialsError

            try:
                credentials, _ = google.auth.default()
            except DefaultCredentialsError:
                credentials = None
        kwargs["credentials"] = credentials or AnonymousCredentials()
    return wrapped(*args, **kwargs)


def _objects_local() -> bool:
    from chameleonapi.detection.policy import objects_available

    return objects_available()


def serve_batch(version: str, request, passthrough_call=None):
    """Answer a BatchAnnotateImagesRequest locally (pass-through for what we cannot serve)."""
    from chameleonapi import runtime

    types = codec.types_of(version)
    # Read through the messages' protobufs and written into the batch answer's own (proto-plus
    # wrappers and copies of each message cost more than the rest of the answer).
    batch = types.BatchAnnotateImagesResponse()
    slots = types.BatchAnnotateImagesResponse.pb(batch).responses
    image_requests = types.BatchAnnotateImagesRequest.pb(request).requests
    responses: list[Any] = [None] * len(image_requests)
    to_label: list[tuple[int, Any, int]] = []
    to_locate: list[tuple[int, Any, int]] = []
    forwarded: list[int] = []
    errors: list[str] = []
    for index, image_request in enumerate(image_requests):
        slot = slots.add()
        features = codec.feature_names(types, image_request)
        unsupported = [name for name, _ in features if name not in codec.LOCAL_FEATURES]
        if (unsupported or any(name == "OBJECT_LOCALIZATION" for name, _ in features) and not _objects_local()) \
                and passthrough_call is not None and config.passthrough():
            forwarded.append(index)
            continue
        response = types.AnnotateImageResponse.wrap(slot)
        responses[index] = response
        if unsupported:
            response.error = codec.unserved(unsupported)
        wanted = {name: m for name, m in reversed(features) if name in codec.LOCAL_FEATURES}
        if not wanted:
            continue
        invalid = codec.negative_max_results(features)
        if invalid is not None:
            response.error = codec.error(codec.INVALID_ARGUMENT, invalid)
            errors.append(invalid)
            continue
        try:
            image = decode_image(codec.image_bytes(image_request.image), POLICY).image
        except ImageInputError as exc:
            response.error = codec.image_error(exc)
            errors.append(response.error.message)
            continue
        if "LABEL_DETECTION" in wanted:
            to_label.append((index, image, wanted["LABEL_DETECTION"] or DEFAULT_MAX_RESULTS))
        if "OBJECT_LOCALIZATION" in wanted:
            to_locate.append((index, image, wanted["OBJECT_LOCALIZATION"]))
    if to_label:
        from chameleonapi.model.cloud_vocab import mid_of

        ranked = runtime.serve_labels(
            [image for _, image, _ in to_label],
            provider=PROVIDER,
            method=METHOD,
            max_results=[limit for _, _, limit in to_label],
        )
        for (index, _, _), labels in zip(to_label, ranked):
            codec.add_label_annotations(types, responses[index], labels, mid_of)
    if to_locate:
        _locate(types, responses, to_locate)
    runtime.record_errors(PROVIDER, METHOD, errors)
    if forwarded:
        remote = passthrough_call([request.requests[i] for i in forwarded])
        for index, response in zip(forwarded, remote.responses):
            slots[index].CopyFrom(types.AnnotateImageResponse.pb(response))
    return batch


def _locate(types, responses: list, to_locate: list[tuple[int, Any, int]]) -> None:
    """Fill `localized_object_annotations`, or say per image why the detector cannot answer."""
    from chameleonapi import runtime
    from chameleonapi.detection.policy import DetectorUnavailable

    try:
        found = runtime.serve_objects([image for _, image, _ in to_locate], provider=PROVIDER, method=METHOD)
    except DetectorUnavailable as exc:
        for index, _, _ in to_locate:
            response = responses[index]
            note = f"OBJECT_LOCALIZATION: {exc}"
            if response.error.message:
                response.error.message = f"{response.error.message} {note}"
            else:
                response.error = codec.detector_unavailable(note)
        return
    for (index, _, limit), detections in zip(to_locate, found):
        responses[index].localized_object_annotations = codec.object_annotations(types, detections, limit)


def _sync_wrapper(version: str):
    def wrapper(wrapped, instance, args, kwargs):
        request = codec.batch_request(codec.types_of(version), args, kwargs)

        def passthrough(requests):
            return wrapped(requests=requests, retry=kwargs.get("retry"), timeout=kwargs.get("timeout"))

        return serve_batch(version, request, passthrough)

    return wrapper


def _async_wrapper(version: str):
    def wrapper(wrapped, instance, args, kwargs):
        types = codec.types_of(version)
        request = codec.batch_request(types, args, kwargs)

        async def run():
            import asyncio

            forwarded_requests: list[Any] = []

            def passthrough(requests):
                forwarded_requests.extend(requests)
                return types.BatchAnnotateImagesResponse(responses=[types.AnnotateImageResponse() for _ in requests])

            from chameleonapi import runtime

            # The worker thread has no application frames: pin the caller's site for it.
            with runtime.pinned_call_site(runtime.find_call_site()):
                local = await asyncio.to_thread(serve_batch, version, request, passthrough)
            if forwarded_requests:
                remote = await wrapped(requests=forwarded_requests)
                remote_iter = iter(remote.responses)
                merged = []
                for image_request, response in zip(request.requests, local.responses):
                    merged.append(next(remote_iter) if image_request in forwarded_requests else response)
                return types.BatchAnnotateImagesResponse(responses=merged)
            return local

        return run()

    return wrapper


def patches() -> list[Patch]:
    out = []
    for version in VERSIONS:
        base = f"google.cloud.{version}.services.image_annotator"
        out += [
            Patch(f"{base}.client", "ImageAnnotatorClient.__init__", _init_wrapper),
            Patch(f"{base}.client", "ImageAnnotatorClient.batch_annotate_images", _sync_wrapper(version)),
            Patch(f"{base}.async_client", "ImageAnnotatorAsyncClient.batch_annotate_images", _async_wrapper(version)),
        ]
    return out
