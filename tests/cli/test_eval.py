"""`chameleonapi eval` and `chameleonapi train` on an application they have never seen."""

from __future__ import annotations

import json
import textwrap

from chameleonapi.cli import main

NEW_APP = textwrap.dedent(
    '''
    import io
    from azure.cognitiveservices.vision.computervision import ComputerVisionClient
    from msrest.authentication import CognitiveServicesCredentials

    HOOVES = ("horse", "zebra", "giraffe")


    class Ranger:
        def __init__(self):
            self.client = ComputerVisionClient("https://ranger.cognitiveservices.azure.com/",
                                               CognitiveServicesCredentials("key"))

        def hoofed(self, image_bytes):
            result = self.client.tag_image_in_stream(io.BytesIO(image_bytes))
            return [t.name for t in result.tags if t.name in HOOVES and t.confidence > 0.4]
    '''
)


def test_eval_json_on_a_generated_app(tmp_path, capsys):
    app = tmp_path / "ranger.py"
    app.write_text(NEW_APP)
    code = main(["eval", str(app), "--data", "builtin", "--json", "--budget", "tiny", "--test-scenes", "96", "--no-progress"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    (decision,) = payload["decisions"]
    assert decision["kind"] == "multi_select"
    assert decision["n_test"] == 96
    assert set(decision["rates"]) == {"generic", "basic", "chameleonapi"}
    assert all(0.0 <= r <= 1.0 for r in decision["rates"].values())


def test_eval_reports_an_app_without_decisions(tmp_path, capsys):
    app = tmp_path / "plain.py"
    app.write_text("print('no vision here')\n")
    assert main(["eval", str(app), "--data", "builtin", "--budget", "tiny"]) == 1
    assert "no decision" in capsys.readouterr().err


def test_train_ahead_of_time(tmp_path, capsys):
    app = tmp_path / "ranger.py"
    app.write_text(NEW_APP)
    assert main(["train", str(app), "--data", "builtin", "--budget", "tiny", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "multi_select" in out and "ready in" in out


def test_train_without_data_says_what_to_pass(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CHAMELEONAPI_DATA", raising=False)
    app = tmp_path / "ranger.py"
    app.write_text(NEW_APP)
    assert main(["train", str(app), "--budget", "tiny"]) == 2
    err = capsys.readouterr().err
    assert "--data" in err and "CHAMELEONAPI_DATA" in err
