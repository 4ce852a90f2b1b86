import json

import numpy as np
import pytest
from PIL import Image

from genlens.cli.outputs import claim_folder
from genlens.errors import GenlensError
from genlens.world import get_task, to_uint8


def _one_line_error(result):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_eval_classifier_json(cli_fast):
    r = cli_fast("eval", "classifier", "world-cnn", "--task", "shape", "--n", "200", "--json", check=True)
    out = json.loads(r.stdout)
    assert set(out) == {"model", "task", "n", "blur", "noise", "accuracy"} and out["n"] == 200 and out["accuracy"] > 0.9
    noised = json.loads(cli_fast("eval", "classifier", "world-cnn", "--n", "200", "--noise", "0.3", "--json", check=True).stdout)
    # world-cnn was trained through noise sd <= 0.08 (measured at 0.3: 0.24 of 1,000)
    assert noised["noise"] == 0.3 and noised["accuracy"] < out["accuracy"] - 0.1


def test_eval_probes_json(cli_fast):
    out = json.loads(cli_fast("eval", "probes", "--n", "200", "--json", check=True).stdout)
    assert out["n"] == 200 and set(out["accuracy"]) >= {"shape", "color", "position", "background_pattern"}


def test_layers_json_gives_nchw_shapes_for_cnn_and_vit(cli_fast):
    cnn = json.loads(cli_fast("layers", "world-cnn", "--json", check=True).stdout)
    shapes = {layer["name"]: layer["shape"] for layer in cnn["layers"]}
    assert cnn["model"] == "world-cnn" and shapes["layer3"] == [128, 8, 8] and shapes["fc"] == [5]
    vit = json.loads(cli_fast("layers", "world-vit", "--json", check=True).stdout)
    shapes = {layer["name"]: layer["shape"] for layer in vit["layers"]}
    assert shapes["blocks.3"] == [96, 8, 8] and shapes["head"] == [5]


def test_bad_inputs_are_one_line_errors_with_exit_2(cli, cli_fast, tmp_path):
    _one_line_error(cli_fast("layers", "no-such-model"))
    _one_line_error(cli_fast("eval", "classifier", "world-cnn", "--task", "nope"))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps({"arch": "world-cnn", "class_names": list("abcde")}))
    (bad / "model.safetensors").write_bytes(b"\x00" * 100)
    _one_line_error(cli_fast("layers", str(bad)))
    (bad / "model.safetensors").unlink()
    _one_line_error(cli_fast("layers", str(bad)))
    (tmp_path / "broken.png").write_bytes(b"not an image")
    _one_line_error(cli_fast("predict", "world-cnn", str(tmp_path / "broken.png")))
    _one_line_error(cli_fast("predict", "world-cnn", str(tmp_path / "missing.png")))
    _one_line_error(cli_fast("layers", "torchvision:resnet18"))  # no pretrained weights offline
    _one_line_error(cli_fast("train", "defaults", "--name", "no-such-model", "--out", str(tmp_path / "w")))
    _one_line_error(cli_fast("train", "defaults", "--only", "nothing", "--out", str(tmp_path / "w")))
    _one_line_error(cli_fast("eval", "diffusion", "--n", "2", "--steps", "0"))  # caught before any sampling
    _one_line_error(cli_fast("world", "render", "--n", "2", "--size", "3", "--out", str(tmp_path / "r")))
    _one_line_error(cli_fast("train", "classifier", "--lr", "-1", "--out", str(tmp_path / "c")))
    _one_line_error(cli_fast("eval", "diffusion", "--n", "2", "--guidance", "-1"))
    _one_line_error(cli_fast("eval", "probes", "--noise", "-1"))
    _one_line_error(
        cli_fast(
            "invert",
            "--classifier",
            "world-cnn",
            "--layer",
            "layer3",
            "--world",
            "2",
            "--sampler",
            "euler",
            "--out",
            str(tmp_path / "i"),
        )
    )
    usage = cli("world", "render")  # a missing option: click's usage message, exit 2
    assert usage.returncode == 2 and "--out" in usage.stderr and "Traceback" not in usage.stderr


def test_predict_converts_grayscale_rgba_and_size_with_a_warning(cli, tmp_path):
    sample = get_task("shape").sample(3, seed=11)
    pixels = to_uint8(sample.images)
    Image.fromarray(pixels[0]).save(tmp_path / "rgb.png")
    rgba = np.concatenate([pixels[1], np.full((32, 32, 1), 255, np.uint8)], -1)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(pixels[2]).resize((64, 64), Image.NEAREST).save(tmp_path / "big.png")
    Image.fromarray(pixels[0]).convert("L").save(tmp_path / "gray.png")
    r = cli(
        "predict",
        "world-cnn",
        str(tmp_path / "rgb.png"),
        str(tmp_path / "rgba.png"),
        str(tmp_path / "big.png"),
        str(tmp_path / "gray.png"),
        "--json",
        check=True,
    )
    out = json.loads(r.stdout)["predictions"]
    assert [p["class"] for p in out[:3]] == [sample.class_names[int(y)] for y in sample.labels]
    assert "RGBA" in r.stderr and "64x64" in r.stderr and "L image" in r.stderr


def test_output_folders_follow_one_policy(cli_here, tmp_path):
    """An earlier run of the same kind is replaced; another kind's run, a file or files genlens did
    not write only with --overwrite, and they are left as they were without it."""
    render = lambda n, out, *more: cli_here("world", "render", "--n", str(n), "--out", str(tmp_path / out), *more)  # noqa: E731
    assert render(2, "w")[0] == 0 and render(3, "w")[0] == 0  # the earlier render is replaced
    assert len(list((tmp_path / "w" / "images").iterdir())) == 3
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("x")
    for out, says in (("mine", "did not write"), ("file", "is a file")):
        code, _, err = render(2, out)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine" and (tmp_path / "file").read_text() == "x"
    code, _, err = cli_here("permute", "--classifier", "world-cnn-shortcut", "--world", "shortcut", "--report", str(tmp_path / "w"))
    assert code == 2 and "world render run" in err  # another kind's folder
    assert render(2, "mine", "--overwrite")[0] == 0 and not (tmp_path / "mine" / "notes.txt").exists()


def test_demo_writes_a_report(cli, tmp_path):
    out = json.loads(cli("demo", "--out", str(tmp_path / "d"), "--n", "100", "--json", check=True).stdout)
    html = (tmp_path / "d" / "report.html").read_text()
    assert claim_folder(tmp_path / "d", "demo", overwrite=False, clear=False) is None  # an earlier demo is replaced
    assert out["report"].endswith("report.html") and html.count("<img") >= 3
    assert {r["model"] for r in out["classifiers"]} == {"world-cnn", "world-vit", "world-cnn-shortcut", "world-cnn-planted"}
    assert len(out["results"]) == 4 and all(r["samples"] == 3 and r["n"] == 6 for r in out["results"])
    assert {(r["layer"], r["pooled"]) for r in out["results"]} == {
        ("layer2", False),
        ("layer3", False),
        ("layer3", True),
        ("blocks.3", False),
    }


def test_train_classifier_writes_a_loadable_folder_with_a_card(cli, tmp_path):
    out = tmp_path / "m"
    args = [
        "train",
        "classifier",
        "--task",
        "shortcut",
        "--steps",
        "3",
        "--batch-size",
        "8",
        "--eval-n",
        "50",
        "--checkpoint-every",
        "2",
        "--out",
        str(out),
        "--device",
        "cpu",
        "--json",
    ]
    card = json.loads(cli(*args, check=True).stdout)
    assert {"task", "steps", "seconds", "device", "test_accuracy"} <= set(card) and card["steps"] == 3
    assert (out / "model.safetensors").exists() and (out / "checkpoints" / "step-0000003").exists()
    shapes = json.loads(cli("layers", str(out), "--json", check=True).stdout)
    assert {"name": "layer3", "shape": [128, 8, 8]} in shapes["layers"]
    _one_line_error(cli("train", "classifier", "--arch", "resnet9000", "--steps", "1", "--out", str(tmp_path / "x")))


def test_permute_bad_inputs_are_one_line_errors_with_exit_2(cli_fast, tmp_path):
    def permute(rows: str, template="a {color} {shape}", generator="renderer"):
        table = tmp_path / "concepts.csv"
        table.write_text("color,shape,label\n" + rows)
        args = ("--concepts", str(table), "--caption-template", template, "--generator", generator)
        return cli_fast("permute", "--classifier", "world-cnn", *args)

    rows = "red,circle,0\nblue,square,1\nred,square,1\n"
    _one_line_error(permute(rows, template="a {size} {color} {shape}"))  # no column 'size'
    _one_line_error(permute("red,circle,0\nred,square,1\n"))  # color has one value
    _one_line_error(permute(""))  # no rows
    not_a_pipeline = tmp_path / "not-a-pipeline"
    not_a_pipeline.mkdir()
    (not_a_pipeline / "model_index.json").write_text("{}")
    _one_line_error(permute(rows, generator=str(not_a_pipeline)))
    _one_line_error(permute(rows, generator=str(tmp_path / "nosuchdir")))  # neither a folder nor a hub id


def test_demo_sentences_say_what_the_figures_show_about_the_layer():
    from PIL import Image

    from genlens.report.inversion_reading import classifier_figures_caveat, mark_columns, retention_sentence

    retention = {"shape": 0.3, "color": 0.2, "position": 1.0}
    plain = retention_sentence(retention)
    assert plain.startswith("The samples carry position, so this layer's map holds it.")
    assert "do not recover shape, color" in plain and "does not show that the layer lacks it" in plain
    assert "discard" not in plain  # a concept an inverter misses is not thereby missing from the layer
    aware = retention_sentence(retention, {"shape": 0.26, "color": 0.99, "position": 0.98})
    assert "do not recover color:" in aware and "draws shape poorly (caption read-back 0.26)" in aware
    # the pooled layer's weaker position is never a verdict against the spatial layer's
    pooled = retention_sentence({"position": 0.15, "shape": 0.63})
    assert "position" not in pooled.split("They do not recover")[0]
    caveat = classifier_figures_caveat(
        {"feature_cosine": 0.997, "top1_agreement": 1.0, "concept_retention": {"shape": 0.4}, "observer": "world-vit", "observer_agreement": 0.5}
    )
    assert "0.997" in caveat and "shape in 0.40" in caveat and "world-vit agrees with the source's class in 0.50" in caveat
    marked = mark_columns(Image.new("RGB", (40, 30), "white"), 4)
    assert marked.size == (40, 48) and marked.getpixel((2, 2)) != (255, 255, 255)


def test_demo_leaves_a_folder_of_other_files_alone(cli, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "report.html").write_text("<html><title>my notes</title></html>")
    _one_line_error(cli("demo", "--out", str(tmp_path / "mine")))
    assert (tmp_path / "mine" / "report.html").read_text() == "<html><title>my notes</title></html>"
    (tmp_path / "file").write_text("x")
    with pytest.raises(GenlensError, match="is a file"):
        claim_folder(tmp_path / "file", "demo", overwrite=False, clear=False)
    assert claim_folder(tmp_path / "new", "demo", overwrite=False, clear=False) is None


def test_generate_writes_images_records_and_a_grid_and_repeats_its_bytes(cli, tmp_path):
    caption = "a large blue heart at the top on a striped white background"
    args = ("generate", "--caption", caption, "--n-per-caption", "2", "--steps", "3", "--seed", "7", "--json")
    out = json.loads(cli(*args, "--out", str(tmp_path / "a"), check=True).stdout)
    assert out["images"] == 2 and out["out"] == str(tmp_path / "a")
    records = [json.loads(line) for line in (tmp_path / "a" / "generated.jsonl").read_text().splitlines()]
    assert [(r["caption"], r["seed"]) for r in records] == [(caption, 7), (caption, 8)]
    assert (tmp_path / "a" / "grid.png").is_file()
    cli(*args, "--out", str(tmp_path / "b"), check=True)
    for r in records:
        assert (tmp_path / "a" / r["file"]).read_bytes() == (tmp_path / "b" / r["file"]).read_bytes()
    # the second image, drawn alone from its own seed, is the same image
    alone = cli("generate", "--caption", caption, "--steps", "3", "--seed", "8", "--out", str(tmp_path / "c"), check=True)
    assert alone.returncode == 0
    second = np.asarray(Image.open(tmp_path / "b" / records[1]["file"]), dtype=float)
    assert np.abs(np.asarray(Image.open(tmp_path / "c" / "images" / "00000.png"), dtype=float) - second).max() <= 1
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "mine.txt").write_text("mine")
    _one_line_error(cli(*args, "--out", str(tmp_path / "d")))  # not replaced without --overwrite


def test_generate_bad_inputs_are_one_line_errors_with_exit_2(cli_fast, tmp_path):
    from genlens.cli.generate import read_captions
    from genlens.generators.generate import check_vocabulary
    from genlens.generators.text import world_tokenizer

    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    _one_line_error(cli_fast("generate", "--captions", str(empty), "--out", str(tmp_path / "out")))
    _one_line_error(cli_fast("generate", "--caption", "a small red zebra", "--out", str(tmp_path / "out")))
    assert not (tmp_path / "out").exists()
    with pytest.raises(GenlensError, match="--caption TEXT"):
        read_captions([], None)
    with pytest.raises(GenlensError, match="'zebra'"):
        check_vocabulary(world_tokenizer(), ["a red star", "a red zebra"])


def test_eval_probes_under_blur_reports_the_perturbation(cli_fast):
    from genlens.measure.probe_training import probe_accuracy
    from genlens.measure.probes import ConceptProbe

    blurred = json.loads(cli_fast("eval", "probes", "--n", "200", "--blur", "2.5", "--json", check=True).stdout)
    assert blurred["blur"] == 2.5 and blurred["noise"] == 0.0
    assert blurred["accuracy"] == probe_accuracy(ConceptProbe.load(), 200, blur=2.5)
    assert blurred["accuracy"]["shape"] < probe_accuracy(ConceptProbe.load(), 200)["shape"]


def test_predict_classifies_the_readable_images_of_a_folder_and_names_the_rest(cli_here, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, p in enumerate(to_uint8(get_task("shape").sample(2, seed=1).images)):
        Image.fromarray(p).save(folder / f"ok{i}.png")
    (folder / "broken.png").write_bytes(b"not an image")
    code, out, err = cli_here("predict", "world-cnn", str(folder), "--json")
    result = json.loads(out)
    assert code == 2 and [r["file"] for r in result["predictions"]] == [str(folder / "ok0.png"), str(folder / "ok1.png")]
    assert result["unreadable"][0]["file"] == str(folder / "broken.png") and "broken.png" in err


def test_sixteen_bit_grayscale_keeps_its_range(tmp_path):
    from genlens.images import load_image

    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    path = tmp_path / "grey16.png"
    Image.fromarray(ramp).save(path)
    image = load_image(path, 32)
    assert abs(float(image.mean()) - 0.5) < 0.01 and float(image.max()) == 1.0 and float(image.min()) == 0.0


def test_help_shows_no_value_placeholder_on_flags(cli_here):
    import typer.main

    from genlens.cli.app import _register, app

    _register()
    command = typer.main.get_command(app)
    paths = [[]] + [[name] for name in command.commands] + [
        [name, sub] for name, group in command.commands.items() if hasattr(group, "commands") for sub in group.commands
    ]
    for path in paths:
        code, out, err = cli_here(*path, "--help")
        assert code == 0 and "<bool>" not in out, (path, out)
