import json
import math

import numpy as np
import torch

from genlens.world import concepts, get_task
from genlens.world.renderer import render
from genlens.world.scenes import sample_scenes
from genlens.world.tasks import Depict6Task


def test_same_seed_same_images_other_seed_or_split_differs():
    a = get_task("shape").sample(16, seed=5)
    b = get_task("shape").sample(16, seed=5)
    assert torch.equal(a.images, b.images) and a.captions == b.captions and a.records == b.records
    assert not torch.equal(a.images, get_task("shape").sample(16, seed=6).images)
    assert not torch.equal(a.images, get_task("shape").sample(16, seed=5, split="train").images)


def test_upright_draws_the_same_scenes_at_rotation_zero():
    for task in ("shape", "depict6"):
        turned = get_task(task).sample(32, seed=3, split="train")
        upright = get_task(task).sample(32, seed=3, split="train", rotation=0)
        assert (upright.scenes.rotation == 0).all() and (turned.scenes.rotation != 0).any()
        assert upright.captions == turned.captions and torch.equal(upright.labels, turned.labels)
        for field in ("shape", "color", "size", "xy", "pattern", "background", "present"):
            assert np.array_equal(getattr(upright.scenes, field), getattr(turned.scenes, field))
        scenes = turned.scenes
        scenes.rotation[:] = 0
        assert torch.equal(render(scenes, 32)[0], upright.images)
    # an upright object's mask is its shape in the pose the shape is defined in: a square's mask fills its box
    squares = get_task("shape").sample(64, seed=4, size=64, rotation=0.0)
    for i, record in enumerate(squares.records):
        if record["objects"][0]["shape"] == "square":
            ys, xs = torch.nonzero(squares.masks[i, 0], as_tuple=True)
            box = (xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1)
            assert squares.masks[i, 0].sum() / box > 0.95
    # a per-scene angle turns every object of that scene alike
    angles = np.arange(8) * 40.0
    shared = get_task("depict6").sample(8, seed=5, rotation=angles)
    assert np.array_equal(shared.scenes.rotation, np.repeat(angles[:, None], 6, axis=1).astype(np.float32))


def test_objects_are_drawn_where_and_as_large_as_their_record_says():
    sample = get_task("shape").sample(200, seed=1, size=64)
    for i, record in enumerate(sample.records):
        obj = record["objects"][0]
        mask = sample.masks[i, 0].float()
        ys, xs = torch.nonzero(mask, as_tuple=True)
        cx, cy = (xs.float().mean() + 0.5) / 64, (ys.float().mean() + 0.5) / 64
        if obj["shape"] in ("circle", "square"):  # symmetric shapes: mask centroid = object centre
            assert abs(cx - obj["x"]) < 0.02 and abs(cy - obj["y"]) < 0.02
        assert concepts.POSITION_BINS[concepts.position_bin(obj["x"], obj["y"])] == obj["position"]
        if obj["shape"] == "circle":
            r = concepts.SIZES[obj["size"]] * 64
            assert abs(mask.sum() - math.pi * r * r) / (math.pi * r * r) < 0.15
        # the object's pixels have the object's colour
        rgb = torch.tensor(concepts.COLORS[obj["color"]])
        inner = sample.images[i][:, mask.bool()].T
        assert (inner - rgb).abs().mean() < 0.08


def test_shapes_differ_in_area_as_geometry_says():
    rng = np.random.default_rng(0)
    scenes = sample_scenes(rng, 5, shapes=np.arange(5))
    scenes.size[:] = 2
    scenes.xy[:] = 0.5
    _, masks = render(scenes, 128)
    areas = masks[:, 0].float().sum((1, 2)) / (concepts.SIZES["large"] * 128) ** 2
    circle, square, triangle, star, heart = areas.tolist()
    assert abs(circle - math.pi) < 0.1
    assert abs(square - (2 * 0.82) ** 2) < 0.1
    assert abs(triangle - 3 * math.sqrt(3) / 4) < 0.1
    # radius linear in angle between 0.45 and 1: area = pi * E[(0.45 + 0.55 t)^2], t ~ U[0, 1]
    assert abs(star - math.pi * (0.45**2 + 0.45 * 0.55 + 0.55**2 / 3)) < 0.1
    assert 1.5 < heart < circle


def test_captions_name_every_concept():
    sample = get_task("shape").sample(50, seed=2)
    for caption, record in zip(sample.captions, sample.records):
        obj = record["objects"][0]
        for word in (
            obj["shape"],
            obj["color"],
            obj["size"],
            record["background"]["color"],
            concepts.PATTERN_ADJECTIVES[record["background"]["pattern"]],
        ):
            assert word in caption, (word, caption)
        assert obj["position"].split()[-1] in caption
    assert len({c.split()[1] for c in sample.captions}) > 1  # several paraphrase templates are used


def test_shortcut_pattern_predicts_label_in_training_but_not_in_shape():
    shortcut = get_task("shortcut").sample(2000, seed=0, split="train")
    agree = (shortcut.scenes.pattern == shortcut.labels.numpy()).mean()
    assert 0.93 < agree < 0.97
    shape = get_task("shape").sample(2000, seed=0, split="test")
    assert (shape.scenes.pattern == shape.labels.numpy()).mean() < 0.25


def test_depict6_objects_never_overlap_and_label_follows_weights():
    task = Depict6Task(weights=(1.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    sample = task.sample(300, seed=0)
    assert sample.masks.sum(1).max() <= 1  # no pixel belongs to two objects
    for record, label, present in zip(sample.records, sample.labels, sample.scenes.present):
        assert sum(record["indicators"].values()) == present.sum() == len(record["objects"])
        assert label == record["indicators"]["red circle"]  # w = e1: label is "red circle present"
    default = get_task("depict6").sample(1000, seed=0)
    assert 0.35 < default.labels.float().mean() < 0.65


def test_render_cli_writes_byte_identical_files(tmp_path, cli):
    for name in ("a", "b"):
        cli(
            "world", "render", "--task", "depict6", "--n", "5", "--seed", "7", "--out", str(tmp_path / name), check=True
        )
    for f in ["concepts.jsonl"] + [f"images/0000{i}.png" for i in range(5)]:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    lines = [json.loads(x) for x in (tmp_path / "a" / "concepts.jsonl").read_text().splitlines()]
    assert [set(x) >= {"id", "file", "label", "concepts", "caption"} for x in lines] == [True] * 5
