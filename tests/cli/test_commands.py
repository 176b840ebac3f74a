"""The command line a newcomer meets: settings honoured and shown, one-line errors, user data."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from chameleonapi.cli import main
from tests.cli.test_eval import NEW_APP
from tests.images import CORRUPT

HOOVES = ("horse", "zebra", "giraffe", "car")


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name in ("CHAMELEONAPI_BUDGET", "CHAMELEONAPI_DATA", "CHAMELEONAPI_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "ranger.py"
    path.write_text(NEW_APP)
    return path


def photo_folder(root, labels=HOOVES, per_label: int = 6):
    """Small photos in `root/<label>/` (content varies per image so features differ)."""
    rng = np.random.default_rng(0)
    for n, label in enumerate(labels):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_label):
            pixels = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8) // (n + 1)
            Image.fromarray(pixels).save(root / label / f"img{i}.png")
    return root


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err)
    return err[-1]


# ------------------------------------------------------------------ 1: settings are honoured and shown
def test_train_honours_environment_settings_and_says_so(app, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHAMELEONAPI_DATA", str(tmp_path / "my-photos"))
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "tiny")
    assert main(["train", str(app)]) == 2
    line = one_line_error(capsys)
    assert "CHAMELEONAPI_DATA" in line and "my-photos does not exist" in line


def test_train_reads_pyproject_and_prints_what_it_uses(app, tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.chameleonapi]\nbudget = "tiny"\ndata = "builtin"\n')
    assert main(["train", str(app), "--json"]) == 0
    captured = capsys.readouterr()
    banner = captured.err.splitlines()[0]
    assert "budget tiny (budget in" in banner and "pyproject.toml" in banner
    assert "data builtin" in banner and "device" in banner and "cache" in banner
    payload = json.loads(captured.out)
    assert payload["budget"] == "tiny" and payload["decisions"][0]["kind"] == "multi_select"


def test_train_prints_a_readable_summary(app, capsys):
    assert main(["train", str(app), "--budget", "tiny", "--data", "builtin"]) == 0
    out = capsys.readouterr().out
    assert "incorrect-decision rate" in out and "ready in" in out
    assert "{" not in out and "history" not in out  # no dict repr


# ------------------------------------------------------------------ 2: user data gets a test split
def test_eval_on_an_image_folder_scores_on_photos_kept_apart(app, tmp_path, capsys):
    data = photo_folder(tmp_path / "photos")
    # every photo of --data customizes: scoring needs photos of the user's own keeping
    assert main(["eval", str(app), "--data", str(data), "--budget", "tiny", "--json"]) == 1
    assert "--test-data" in capsys.readouterr().err
    kept = photo_folder(tmp_path / "kept")
    code = main(["eval", str(app), "--data", str(data), "--test-data", str(kept), "--budget", "tiny", "--json"])
    assert code == 0, capsys.readouterr().err
    (decision,) = json.loads(capsys.readouterr().out)["decisions"]
    assert decision["n_test"] == sum(1 for p in kept.rglob("*") if p.is_file())
    assert all(0.0 <= r <= 1.0 for r in decision["rates"].values())


def test_train_prints_how_each_folder_is_read_and_map_overrides_it(app, tmp_path, capsys):
    data = photo_folder(tmp_path / "photos", labels=("horse", "zebra", "giraffe", "zorgblat", "cars"), per_label=10)
    code = main(["train", str(app), "--data", str(data), "--budget", "tiny", "--no-progress",
                 "--map", "cars=", "--map", "zorgblat=zebra"])
    assert code == 0, capsys.readouterr().err
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert "horse: Horse -> horse (name)" in lines
    assert "zorgblat: Zebra -> zebra (override)" in lines
    assert "cars: none of the application's labels (override)" in lines


def test_train_on_a_folder_with_one_image_is_a_clear_error(app, tmp_path, capsys):
    data = photo_folder(tmp_path / "one", labels=("horse",), per_label=1)
    assert main(["train", str(app), "--data", str(data), "--budget", "tiny"]) == 2
    line = one_line_error(capsys)
    assert "split is empty" in line or "too little data" in line


def test_a_folder_of_links_to_photos_elsewhere_says_so(app, tmp_path, monkeypatch, capsys):
    """Photos linked in from another folder are skipped (training reads only its own folder):
    the error names that cause and the setting, not a lack of photos."""
    kept = photo_folder(tmp_path / "kept", labels=("horse", "zebra"), per_label=12)
    links = tmp_path / "links"
    for photo in kept.rglob("*.png"):
        target = links / photo.parent.name / photo.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(photo)
    monkeypatch.delenv("CHAMELEONAPI_ALLOW_OUTSIDE_DATA", raising=False)
    assert main(["train", str(app), "--data", str(links), "--budget", "tiny"]) == 2
    line = one_line_error(capsys)
    assert "outside the folder" in line and "CHAMELEONAPI_ALLOW_OUTSIDE_DATA=1" in line


def test_too_little_data_per_category(app, tmp_path, capsys):
    data = photo_folder(tmp_path / "nogiraffe", labels=("horse", "zebra", "car"))
    assert main(["train", str(app), "--data", str(data), "--budget", "tiny"]) == 2
    assert "too little data per category" in one_line_error(capsys)


# ------------------------------------------------------------------ 5: ordinary mistakes, no traceback
@pytest.mark.parametrize("argv", [["train", "APP", "--budget", "huge"], ["eval", "APP", "--seeds", "0"]])
def test_bad_flags_are_usage_errors(app, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(app) if a == "APP" else a for a in argv])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_missing_app_and_missing_data_say_they_do_not_exist(app, tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.py"), "--budget", "tiny"]) == 2
    assert "nope.py does not exist" in one_line_error(capsys)
    assert main(["eval", str(app), "--data", str(tmp_path / "gone"), "--budget", "tiny"]) == 2
    assert "gone does not exist" in one_line_error(capsys)


def test_unusable_data_is_one_line(app, tmp_path, capsys):
    corrupt = photo_folder(tmp_path / "corrupt")
    (corrupt / "horse" / "broken.jpg").write_bytes(CORRUPT)
    assert main(["train", str(app), "--data", str(corrupt), "--budget", "tiny"]) == 2
    assert "broken.jpg" in one_line_error(capsys)

    (tmp_path / "empty").mkdir()
    assert main(["train", str(app), "--data", str(tmp_path / "empty"), "--budget", "tiny"]) == 2
    assert "no images" in one_line_error(capsys)

    (tmp_path / "bad.csv").write_text("foo,bar\n1,2\n")
    assert main(["train", str(app), "--data", str(tmp_path / "bad.csv"), "--budget", "tiny"]) == 2
    assert "image column" in one_line_error(capsys)


def test_bad_environment_setting_is_one_line(app, monkeypatch, capsys):
    monkeypatch.setenv("CHAMELEONAPI_BUDGET", "huge")
    assert main(["train", str(app)]) == 2
    assert "CHAMELEONAPI_BUDGET='huge'" in one_line_error(capsys)


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "chameleonapi", "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("chameleonapi ")


# ------------------------------------------------------------------ 8: small things a user notices
def test_table_keeps_whole_paths():
    from chameleonapi.cli.table import render_table

    long = "/very/long/path/to/an/application/package/with/many/levels/ranger_station_app.py:12"
    text = render_table(["decision", "rate"], [[long, "0.125"]], right=[1])
    assert long in text


def test_cache_list_names_the_call_site_and_clear_removes_features(app, capsys):
    from chameleonapi import config

    assert main(["train", str(app), "--budget", "tiny", "--data", "builtin"]) == 0
    capsys.readouterr()
    assert main(["cache", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    # the call site the model was trained for (an equal decision elsewhere shares the model)
    served = [e for e in entries if (e.get("call") or {}).get("file", "").endswith(app.name)]
    assert served and served[0]["call"]["line"] > 0
    assert main(["cache", "list"]) == 0
    assert f"{app.name}:{served[0]['call']['line']}" in capsys.readouterr().out
    assert any((config.home() / "features").iterdir())
    assert main(["cache", "clear"]) == 0
    assert "feature file" in capsys.readouterr().out
    assert not list((config.home() / "features").glob("*.safetensors"))
