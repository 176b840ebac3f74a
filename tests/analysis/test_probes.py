"""Decisions read by running the application's own code on probe responses (`probes`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from chameleonapi.analysis import analyze, analyze_report
from chameleonapi.spec import Category, DecisionSpec

GOOGLE = "from google.cloud import vision\nclient = vision.ImageAnnotatorClient()\n"


def specs_of(body: str, header: str = GOOGLE) -> list[DecisionSpec]:
    return analyze(header + textwrap.dedent(body))


def test_a_label_handed_to_unknown_code_is_the_outcome() -> None:
    """The matching label goes into a template call of a web framework the analysis never
    reads: each tested label is its own outcome, whichever is listed first wins."""
    (spec,) = specs_of(
        """
        from flask import render_template
        def recognize(content):
            labels = client.label_detection(image=vision.Image(content=content)).label_annotations
            result = {"animal": "none"}
            for label in labels:
                if label.description.lower() in ["dog", "cat"]:
                    result = {"animal": label.description, "extra": {"size": "M"}}
                    break
            return render_template("page.html", result=result)
        """
    )
    assert (spec.kind, spec.order, spec.match) == ("multi_choice", "label", "casefold")
    assert sorted(c.labels for c in spec.categories) == [("cat",), ("dog",)]
    assert spec.decide([("Dog", 0.9), ("Cat", 0.8)]) == spec.categories_of("Dog")[0]


def test_branches_that_differ_only_by_a_device_call_are_outcomes() -> None:
    (spec,) = specs_of(
        """
        import gpio
        blue, red = gpio.LED(17), gpio.LED(27)
        def check(content):
            names = [l.description for l in client.label_detection(image=vision.Image(content=content)).label_annotations]
            counts = {"fruit": sum(1 for n in names if n in ("Apple", "Banana")),
                      "tool": sum(1 for n in names if n in ("Knife", "Saw"))}
            best = max(counts, key=lambda k: counts[k])
            if counts[best] == 0:
                return
            (blue if best == "fruit" else red).on()
        """
    )
    assert spec.kind == "multi_choice"
    assert sorted(sorted(c.labels) for c in spec.categories) == [["Apple", "Banana"], ["Knife", "Saw"]]
    assert spec.decide([("Saw", 0.9)]) != spec.decide([("Apple", 0.9)])
    assert spec.decide([("Tree", 0.9)]) is None


def probe_specs(source: str) -> list[DecisionSpec]:
    """The probes' own reading of a source, without the walker."""
    from chameleonapi.analysis.budget import Deadline
    from chameleonapi.analysis.probes import probe_project
    from chameleonapi.analysis.project import load
    from chameleonapi.analysis.sdk import find_sites

    project = load(source)
    project.deadline = Deadline(5)
    sites = [s for name in project.entry for s in find_sites(project, project.modules[name])]
    return [f.spec for found in probe_project(project, sites).values() for f in found if f.spec is not None]


def test_threshold_and_top_k_are_read_from_behaviour() -> None:
    (spec,) = probe_specs(GOOGLE + textwrap.dedent(
        """
        def alarm(content):
            labels = client.label_detection(image=vision.Image(content=content)).label_annotations
            top = sorted(labels, key=lambda l: -l.score)[:3]
            hits = {l.description for l in top if l.score * 100 >= 72}
            if hits & {"Fire", "Smoke"}:
                return "evacuate"
            return "ok"
        """
    ))
    assert (spec.kind, spec.top_k) == ("true_false", 3)
    assert spec.threshold is not None and abs(spec.threshold - 0.72) < 0.01
    assert sorted(spec.categories[0].labels) == ["Fire", "Smoke"]


def test_printing_every_label_is_no_decision() -> None:
    report = analyze_report(
        GOOGLE
        + textwrap.dedent(
            """
            SKIP = {"Font", "Text"}
            def show(content):
                for label in client.label_detection(image=vision.Image(content=content)).label_annotations:
                    print(label.description.upper(), f"{label.score:.2f}")
            """
        )
    )
    assert report.specs == [] and report.errors == []


def test_no_application_code_is_run(tmp_path: Path) -> None:
    """Module code, the function before the call and the branches only ever run in the
    interpreter: a file the application would write is never written."""
    marker = tmp_path / "ran.txt"
    app = tmp_path / "app.py"
    app.write_text(
        GOOGLE
        + textwrap.dedent(
            f"""
            import os
            open({str(marker)!r}, "w").write("module")
            class Trap:
                @property
                def value(self):
                    open({str(marker)!r}, "w").write("property")
                    return "Cat"
            def check(content):
                os.system("touch {marker}")
                want = Trap().value
                labels = client.label_detection(image=vision.Image(content=content)).label_annotations
                if any(l.description == want for l in labels):
                    open({str(marker)!r}, "w").write("branch")
                    return True
                return False
            """
        )
    )
    specs = analyze(app)
    assert not marker.exists()
    assert [s.kind for s in specs] == ["true_false"]


def test_a_walker_decision_the_behaviour_contradicts_is_replaced() -> None:
    from chameleonapi.analysis.probes import Found

    merged = DecisionSpec("true_false", "category", [Category("pet", ("Cat", "Dog"))], provider="google")
    split = DecisionSpec(
        "multi_choice", "label", [Category("cat", ("Cat",)), Category("dog", ("Dog",))], provider="google"
    )
    found = Found(
        split, True, singles={"Cat": "cat", "Dog": "dog", "Tree": "none"},
        pairs={("Cat", "Dog"): "cat", ("Dog", "Cat"): "dog"},
    )
    assert found.agrees(split)
    assert not found.agrees(merged)  # two outcomes of the application are one of the spec
    assert not found.agrees(DecisionSpec("multi_select", "category", split.categories, provider="google"))


def test_the_walker_spec_is_kept_where_the_behaviour_agrees() -> None:
    (spec,) = specs_of(
        """
        def is_dog(content):
            labels = client.label_detection(image=vision.Image(content=content)).label_annotations
            return any(l.description == "Dog" for l in labels)
        """
    )
    assert spec.conditions  # the walker's reading (with the lines that test) was kept
    assert spec.categories == [Category("is_dog", ("Dog",))]


def test_labels_and_objects_of_one_response_are_two_decisions() -> None:
    specs = specs_of(
        """
        def check(content):
            response = client.annotate_image({
                "image": vision.Image(content=content),
                "features": [{"type_": vision.Feature.Type.OBJECT_LOCALIZATION},
                             {"type_": vision.Feature.Type.LABEL_DETECTION}],
            })
            people = [o for o in response.localized_object_annotations if o.name == "Person"]
            masked = False
            for label in response.label_annotations:
                if label.description == "Face mask":
                    masked = True
                    break
            return {"crowd": len(people) >= 3, "masked": masked}
        """
    )
    by_labels = {s.all_labels[0]: s for s in specs}
    assert sorted(by_labels) == ["Face mask", "Person"]
    crowd = by_labels["Person"]
    assert (crowd.target, crowd.count_op, crowd.count) == ("objects", ">=", 3)
    assert by_labels["Face mask"].decide([("Face mask", 0.9)]) != by_labels["Face mask"].decide([])


AWS = "import json\nimport boto3\nclient = boto3.client('rekognition')\n"


def test_a_label_sent_on_is_an_outcome_even_when_the_whole_response_is_logged() -> None:
    """Each matching label is published with its name: one outcome per label that can come
    together; printing the response (every label, known or not) is no evidence either way."""
    (spec,) = specs_of(
        """
        WATCH = ["Person", "People", "Human"]
        def handler(event, context):
            response = client.detect_labels(Image={"Bytes": event["image"]}, MaxLabels=5)
            print(response)
            iot = boto3.client("iot-data")
            for item in response["Labels"]:
                if item["Name"] in WATCH:
                    iot.publish(topic="seen", qos=1, payload=json.dumps({"object": item["Name"]}))
        """,
        AWS,
    )
    assert (spec.kind, spec.top_k) == ("multi_select", 5)
    assert sorted(c.labels for c in spec.categories) == [("Human",), ("People",), ("Person",)]
    assert spec.decide([("Person", 0.9), ("Human", 0.8)]) == frozenset(
        spec.categories_of("Person") + spec.categories_of("Human"))


def test_a_flag_set_beside_the_label_is_the_outcome() -> None:
    """`(True, name)` handed back: the flag decides, the name is a detail of it."""
    (spec,) = specs_of(
        """
        ALERT = {"Gun", "Knife"}
        def check(event, context):
            for label in client.detect_labels(Image={"Bytes": event["image"]})["Labels"]:
                if label["Name"] in ALERT:
                    return True, label["Name"]
            return False, None
        """,
        AWS,
    )
    assert spec.kind == "true_false" and sorted(spec.categories[0].labels) == ["Gun", "Knife"]


def test_one_helper_called_per_label_is_one_decision() -> None:
    """`{"cat": judge(res, "Cat"), "dog": judge(res, "Dog")}`: both can hold at once, so the
    two calls of the helper are one multi-select over the two labels."""
    (spec,) = specs_of(
        """
        def handler(event, context):
            res = client.detect_labels(Image={"Bytes": event["image"]})
            return {"cat": judge(res, "Cat"), "dog": judge(res, "Dog")}
        def judge(res, name):
            out = {}
            for label in res["Labels"]:
                if label["Name"] == name and 60.0 < label["Confidence"]:
                    out["judge"] = True
                    break
            else:
                out["judge"] = False
            return out
        """,
        AWS,
    )
    assert spec.kind == "multi_select"
    assert sorted(c.labels for c in spec.categories) == [("Cat",), ("Dog",)]
    assert spec.threshold is not None and abs(spec.threshold - 0.6) < 1e-6
    assert len(spec.decide([("Cat", 0.9), ("Dog", 0.9)])) == 2


def test_a_score_test_after_the_filter_raises_the_threshold() -> None:
    """The walker reads Rekognition's default floor (0.55); the app acts only above 75."""
    (spec,) = specs_of(
        """
        import subprocess
        def scare(data):
            response = client.detect_labels(Image={"Bytes": data})
            cats = [label for label in response["Labels"] if label.get("Name") == "Cat"]
            if cats:
                if cats[0]["Confidence"] > 75.0:
                    subprocess.Popen(["aplay", "dog.wav"])
        """,
        AWS,
    )
    assert spec.categories[0].labels == ("Cat",)
    assert spec.threshold is not None and abs(spec.threshold - 0.75) < 1e-6


def test_the_word_in_the_one_label_returned_is_the_outcome() -> None:
    """The first label that contains one of the words is returned (through an unknown call):
    which word it holds is the outcome, a category per word."""
    (spec,) = specs_of(
        """
        from translator import translate
        FISH = ["tuna", "salmon", "trout"]
        def identify(content):
            for label in client.label_detection(image=vision.Image(content=content)).label_annotations:
                name = label.description.lower()
                for fish in FISH:
                    if fish in name:
                        return translate(label.description)
            return None
        """
    )
    assert (spec.kind, spec.match) == ("multi_choice", "substring_casefold")
    assert sorted(c.labels for c in spec.categories) == [("salmon",), ("trout",), ("tuna",)]


def test_labels_skipped_before_the_first_other_one_is_a_decision_by_exclusion() -> None:
    """Every label but a block list is taken (the first one returned); printing the raw
    response first changes nothing."""
    (spec,) = specs_of(
        """
        IGNORE = ["Bird", "Animal", "Tree", "Grass"]
        def primary(bucket, key):
            response = client.detect_labels(Image={"S3Object": {"Bucket": bucket, "Name": key}})
            print(response["Labels"])
            first = ""
            for label in response["Labels"]:
                if label["Name"] not in IGNORE and first == "":
                    first = label["Name"]
            return first
        """,
        AWS,
    )
    assert spec.partial and spec.kind == "multi_choice"
    assert any("except" in reason and "Bird" in reason for reason in spec.reasons)


def test_an_endless_camera_loop_is_run_until_the_round_that_calls() -> None:
    """`while True:` that analyses every 10th frame: the rounds before the call are run, the
    drone moves only when a bottle is seen."""
    (spec,) = probe_specs(textwrap.dedent(
        """
        from azure.cognitiveservices.vision.computervision import ComputerVisionClient
        from drone import Drone
        cv = ComputerVisionClient("endpoint", None)
        drone = Drone()
        found = False
        frame = 0
        while True:
            image = drone.frame()
            frame += 1
            if frame % 10 == 0:
                analysis = cv.analyze_image(image)
                for obj in analysis.objects:
                    if obj.object_property == "Bottle":
                        found = True
                        break
            if found:
                drone.move_forward(30)
        """
    ))
    assert spec.kind == "true_false" and spec.categories[0].labels == ("Bottle",)


def test_effects_of_one_test_are_one_outcome() -> None:
    """A flag and a position set by one test, and the move made on the flag, are one
    outcome, not a category each."""
    (spec,) = specs_of(
        """
        from azure.cognitiveservices.vision.computervision import ComputerVisionClient
        from drone import Drone
        cv = ComputerVisionClient("endpoint", None)
        drone = Drone()
        found = False
        position = None
        while True:
            analysis = cv.analyze_image(drone.frame())
            for obj in analysis.objects:
                if obj.object_property == "Bottle":
                    found = True
                    position = obj.rectangle
                    break
            if found:
                drone.move_towards(position)
        """,
        "",
    )
    assert spec.kind == "true_false" and spec.categories[0].labels == ("Bottle",)


def test_a_decision_taken_once_a_first_one_holds_is_a_second_decision() -> None:
    """Food or not first; for food, the first label not in a block list is the dish: the
    second decision shows only in probes where the first one holds."""
    specs = specs_of(
        """
        SKIP = {"Food", "Plant", "Dish", "Tableware", "Cuisine"}
        def has(response, name):
            return any(label.description == name for label in response.label_annotations)
        def dish(content):
            response = client.label_detection(image=vision.Image(content=content))
            if has(response, "Food") or has(response, "Plant"):
                for label in response.label_annotations:
                    if label.description not in SKIP:
                        return "This is " + label.description
                return "Some food"
            return "Not food"
        """
    )
    by_exclusion = [s for s in specs if any("except" in r for r in s.reasons)]
    assert len(by_exclusion) == 1 and by_exclusion[0].kind == "multi_choice" and by_exclusion[0].partial
    assert "Dish" in by_exclusion[0].reasons[0]
    gate = [s for s in specs if s not in by_exclusion]
    assert gate and {"Food"} <= {x for s in gate for x in s.all_labels}


def test_exclusive_and_accumulated_outcomes_of_one_call_are_two_decisions() -> None:
    """One place (the first listed that is seen) and every pet seen, handed back in one dict:
    a multi-choice over the places and a multi-select over the pets."""
    specs = specs_of(
        """
        from django.http import JsonResponse
        PETS = ["Cat", "Dog"]
        def view(request):
            labels = client.label_detection(image=vision.Image(content=request.body)).label_annotations
            place = next((l.description for l in labels if l.description in ["Beach", "Mountain", "City"]), "")
            pets = [l.description for l in labels if l.description in PETS]
            return JsonResponse({"place": place, "pets": pets if pets else None})
        """
    )
    kinds = {s.kind: sorted(x for c in s.categories for x in c.labels) for s in specs}
    assert kinds == {"multi_choice": ["Beach", "City", "Mountain"], "multi_select": ["Cat", "Dog"]}


def test_a_deep_copy_of_a_module_dict_keeps_its_keys_as_the_categories() -> None:
    """Objects filed under the keys of a copied template dict: the keys are the labels."""
    (spec,) = specs_of(
        """
        import copy
        from azure.cognitiveservices.vision.computervision import ComputerVisionClient
        cv = ComputerVisionClient("endpoint", None)
        TEMPLATE = {"objects": {"car": [], "person": [], "bicycle": []}}
        def statistics(url):
            analysis = cv.analyze_image(url, visual_features=["Objects"])
            out = copy.deepcopy(TEMPLATE)
            for obj in analysis.objects:
                if obj.object_property in out["objects"].keys():
                    out["objects"][obj.object_property].append(obj.rectangle.x)
            return out
        """,
        "",
    )
    assert spec.kind == "multi_select" and not spec.partial
    assert sorted(c.labels for c in spec.categories) == [("bicycle",), ("car",), ("person",)]


def test_recursion_over_unknown_data_does_not_use_up_the_run() -> None:
    """A helper that walks unknown nested data by calling itself stays bounded, so the
    decision made before it is still read."""
    (spec,) = probe_specs(AWS + textwrap.dedent(
        """
        def walk(d, out):
            for key, value in d.items():
                out.append(key)
                walk(value, out)
            return out
        def data(key, faces):
            labels = client.detect_labels(Image={"S3Object": {"Bucket": "b", "Name": key}})
            people = [label for label in labels["Labels"] if label["Name"] in ["Person", "Bicycle"]]
            return {"people": people, "faces": walk(faces, [])}
        """
    ))
    assert spec.kind == "multi_select"
    assert sorted(c.labels for c in spec.categories) == [("Bicycle",), ("Person",)]


def test_the_label_drawn_on_the_picture_is_a_display_not_an_outcome() -> None:
    """Each vehicle gets a box and its name written beside it: the box is the outcome, the
    name written on the picture (or logged) shows it; one true-false decision."""
    (spec,) = specs_of(
        """
        import logging
        from PIL import Image, ImageDraw
        log = logging.getLogger(__name__)
        def boxes(path, content):
            objects = client.object_localization(image=vision.Image(content=content)).localized_object_annotations
            with Image.open(path) as im:
                draw = ImageDraw.Draw(im)
                for obj in objects:
                    if obj.name not in ["Car", "Truck", "Bicycle"]:
                        continue
                    log.info("found %s", obj.name)
                    draw.rectangle([0, 0, 10, 10], outline="red")
                    draw.text((0, 0), obj.name, fill="yellow")
                im.save("out.png")
        """
    )
    assert spec.kind == "true_false"
    assert sorted(spec.categories[0].labels) == ["Bicycle", "Car", "Truck"]
