"""Users' own classifiers: their code builds it (python:module:factory), or their weights fill a timm
architecture (--weights); both go through layers, permute and (the factory one) invert."""

import json

import pytest
import timm
import torch
from safetensors.torch import save_file
from tiny_models import tiny_world_pipeline

from genlens.classifiers.loader import load_classifier
from genlens.errors import GenlensError

FACTORY = "python:user_classifier:tiny_shape_classifier"


def test_a_factory_classifier_goes_through_layers_train_inverter_invert_and_permute(cli_here, tmp_path):
    code, out, err = cli_here("layers", FACTORY, "--json")
    assert code == 0, err
    layers = {entry["name"]: entry["shape"] for entry in json.loads(out)["layers"]}
    assert layers["2"] == [8, 16, 16]
    tiny_world_pipeline().save_pretrained(tmp_path / "base")
    train = ("train", "inverter", "--classifier", FACTORY, "--layer", "2", "--base", str(tmp_path / "base"),
             "--steps", "2", "--batch-size", "4", "--out", str(tmp_path / "inv"), "--json")
    code, _, err = cli_here(*train)
    assert code == 0, err
    code, out, err = cli_here("invert", "--inverter", str(tmp_path / "inv"), "--world", "2", "--steps", "2",
                              "--out", str(tmp_path / "o"), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["classifier"] == FACTORY and summary["n"] == 2 and -1 <= summary["feature_cosine"] <= 1
    code, out, err = cli_here("permute", "--classifier", FACTORY, "--world", "shape", "--generator", "renderer",
                              "--n", "40", "--repeats", "1", "--json")
    assert code == 0, err
    assert {row["concept"] for row in json.loads(out)["importance"]} >= {"shape", "color"}


def test_a_timm_architecture_with_the_users_weights(cli_here, tmp_path):
    torch.manual_seed(0)
    net = timm.create_model("resnet10t", pretrained=False, num_classes=5)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "mine.safetensors")
    loaded = load_classifier(f"timm:resnet10t@{tmp_path / 'mine.safetensors'}")
    assert len(loaded.class_names) == 5
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in loaded.net.state_dict().items())
    torch.save(net.state_dict(), tmp_path / "mine.pt")
    code, out, err = cli_here("layers", "timm:resnet10t", "--weights", str(tmp_path / "mine.pt"), "--json")
    assert code == 0, err and "layer4" in {e["name"] for e in json.loads(out)["layers"]}
    code, out, err = cli_here("permute", "--classifier", "timm:resnet10t", "--weights", str(tmp_path / "mine.safetensors"),
                              "--world", "shape", "--generator", "renderer", "--n", "8", "--repeats", "1", "--json")
    assert code == 0, err
    # another architecture's weights, a missing file, a weights file for a non-timm spec: one line each
    other = timm.create_model("resnet18", pretrained=False, num_classes=5)
    save_file({k: v.contiguous() for k, v in other.state_dict().items()}, tmp_path / "other.safetensors")
    for args, says in (
        (("layers", "timm:resnet10t", "--weights", str(tmp_path / "other.safetensors")), "do not fit timm:resnet10t"),
        (("layers", "timm:resnet10t", "--weights", str(tmp_path / "none.pt")), "does not exist"),
        (("layers", "world-cnn", "--weights", str(tmp_path / "mine.pt")), "goes with a timm:NAME"),
        (("layers", "python:user_classifier:not_a_network"), "not a torch nn.Module"),
        (("layers", "python:no_such_module:f"), "cannot import classifier module"),
    ):
        code, _, err = cli_here(*args)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err


def test_a_factory_network_without_its_facts_is_refused():
    import user_classifier

    net = user_classifier.tiny_shape_classifier()
    del net.genlens
    user_classifier.bare = lambda: net
    with pytest.raises(GenlensError, match="class_names, input_size"):
        load_classifier("python:user_classifier:bare")


def test_train_classifier_trains_a_timm_architecture_on_a_world_task_and_reloads_it(cli_here, tmp_path):
    code, out, err = cli_here("train", "classifier", "--arch", "timm:test_resnet", "--steps", "2", "--batch-size", "4",
                              "--eval-n", "8", "--out", str(tmp_path / "c"), "--json")
    assert code == 0, err
    assert json.loads(out)["arch"] == "timm:test_resnet"
    model = load_classifier(str(tmp_path / "c"))
    assert model.config.arch == "timm:test_resnet" and model.class_names == ["circle", "square", "triangle", "star", "heart"]
    assert model.predict(torch.rand(2, 3, 32, 32)).shape == (2,)


def test_train_classifier_on_a_users_image_folder_holds_out_a_tenth_per_class(cli_here, tmp_path):
    from PIL import Image

    from genlens.world import to_uint8
    from genlens.world.seeds import held_out

    sample = held_out(40)
    for i, (pixels, record) in enumerate(zip(to_uint8(sample.images), sample.records)):
        shape = record["objects"][0]["shape"]
        if shape in ("circle", "square"):
            (tmp_path / "data" / shape).mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / "data" / shape / f"{i}.png")
    code, out, err = cli_here("train", "classifier", "--data", str(tmp_path / "data"), "--steps", "2", "--batch-size", "4",
                              "--augment", "--out", str(tmp_path / "c"), "--json")
    assert code == 0, err
    card = json.loads(out)
    assert card["data"] == str(tmp_path / "data") and card["test_n"] == 2  # one held out of each class
    assert card["augmentation"]["max_blur"] > 0  # trained through blur and noise
    assert load_classifier(str(tmp_path / "c")).class_names == ["circle", "square"]
    (tmp_path / "one" / "only").mkdir(parents=True)
    Image.fromarray(to_uint8(sample.images)[0]).save(tmp_path / "one" / "only" / "a.png")
    code, _, err = cli_here("train", "classifier", "--data", str(tmp_path / "one"), "--out", str(tmp_path / "d"))
    assert code == 2 and "at least two class subfolders" in err
    code, _, err = cli_here("train", "classifier", "--arch", "timm:no_such_net", "--out", str(tmp_path / "e"))
    assert code == 2 and "timm has no model" in err and not (tmp_path / "e").exists()
