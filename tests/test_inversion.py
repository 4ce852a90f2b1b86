import json
import shutil

import pytest
import timm
import torch
from tiny_models import tiny_stable_diffusion, tiny_world_pipeline

from genlens.classifiers.architectures import world_cnn
from genlens.classifiers.classifier import Classifier, ClassifierConfig
from genlens.errors import GenlensError
from genlens.generators.base_model import load_base
from genlens.inversion.data import FolderImages, WorldImages
from genlens.inversion.inverter import FeatureInverter
from genlens.inversion.protocol import SamplingConfig
from genlens.inversion.training import train_inverter
from genlens.training.loop import TrainSettings

SETTINGS = TrainSettings(steps=2, batch_size=4, warmup=1, device="cpu", checkpoint_every=1)


@pytest.fixture(scope="module")
def world_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("inv")
    tiny_world_pipeline().save_pretrained(root / "base")
    torch.manual_seed(0)
    Classifier(
        world_cnn(5, widths=(8, 16, 16)),
        ClassifierConfig("world-cnn", list("abcde"), arch_kwargs={"widths": [8, 16, 16]}),
    ).save(root / "cnn")
    from genlens.classifiers.loader import load_classifier

    inverter, card = train_inverter(
        load_classifier(str(root / "cnn")),
        "layer2",
        load_base(root / "base"),
        str(root / "base"),
        WorldImages(32),
        root / "inv",
        SETTINGS,
    )
    return root, card


def test_trained_inverter_saves_reloads_and_inverts(world_setup):
    root, card = world_setup
    assert card["steps"] == 2 and card["feature_shape"] == [16, 16, 16]
    assert json.loads((root / "inv" / "inverter.json").read_text())["layer"] == "layer2"
    inv = FeatureInverter.load(root / "inv")
    images = torch.rand(2, 3, 32, 32)
    a = inv.invert(images, samples=2, sampling=SamplingConfig(steps=2, seed=3))
    b = inv.invert(images, samples=2, sampling=SamplingConfig(steps=2, seed=3))
    assert a.shape == (2, 2, 3, 32, 32)
    torch.testing.assert_close(a, b)  # same seed, same samples
    assert not torch.allclose(a[:, 0], a[:, 1])  # samples of one map differ


def test_an_inverter_folder_loads_as_a_pipeline_with_its_controlnet_registered(world_setup):
    from genlens.generators.pipeline import WorldDiffusionPipeline

    root = world_setup[0]
    inv = FeatureInverter.load(root / "inv")
    pipe = WorldDiffusionPipeline.from_pretrained(root / "inv", **inv.base.base_components)
    assert type(pipe.controlnet).__name__ == "FeatureControlNet" and pipe.unet is inv.base.unet
    maps = inv.feature_maps(torch.rand(2, 3, 32, 32))
    direct = pipe([inv.config.prompt] * 2, steps=2, guidance=1.75, generator=torch.Generator().manual_seed(3), control=maps)
    torch.testing.assert_close(direct, inv.invert_maps(maps, sampling=SamplingConfig(steps=2, seed=3))[:, 0])
    with pytest.raises(GenlensError, match="no ControlNet"):
        inv.base(["x"], steps=1, control=maps[:1])


def test_wrong_map_shape_is_a_clear_error(world_setup):
    inv = FeatureInverter.load(world_setup[0] / "inv")
    with pytest.raises(GenlensError, match="do not fit"):
        inv.invert_maps(torch.rand(1, 16, 8, 8))


def test_invert_cli_rejects_other_layer_and_missing_checkpoint(world_setup, cli, tmp_path):
    root, _ = world_setup
    r = cli(
        "invert", "--inverter", str(root / "inv"), "--layer", "layer3", "--world", "2", "--out", str(tmp_path / "o")
    )
    assert r.returncode == 2 and "trained for layer layer2" in r.stderr and "Traceback" not in r.stderr
    r = cli("invert", "--inverter", str(tmp_path / "nothing"), "--world", "2", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "not a genlens inverter" in r.stderr
    (tmp_path / "kept" / "grids").mkdir(parents=True)  # an earlier run's output, finished or not
    (tmp_path / "kept" / "results.jsonl").write_text("earlier\n")
    r = cli("invert", "--inverter", str(root / "inv"), "--world", "2", "--out", str(tmp_path / "kept"))
    assert r.returncode == 2 and "did not write" in r.stderr
    assert (tmp_path / "kept" / "results.jsonl").read_text() == "earlier\n"


def test_stable_diffusion_base_with_a_timm_classifier(tmp_path):
    """The real-scale path: latent diffusion with a VAE, a timm classifier, images from a folder."""
    from PIL import Image

    tiny_stable_diffusion(tmp_path / "sd")
    (tmp_path / "data" / "cats").mkdir(parents=True)
    for i in range(3):
        Image.fromarray((torch.rand(40, 40, 3) * 255).byte().numpy()).save(tmp_path / "data" / "cats" / f"{i}.png")
    torch.manual_seed(0)
    net = timm.create_model("resnet10t", pretrained=False, num_classes=3)
    classifier = Classifier(
        net, ClassifierConfig("timm:resnet10t", ["a", "b", "c"], input_size=32), "timm:resnet10t"
    ).eval()
    base = load_base(tmp_path / "sd")
    assert not base.pixel_space and base.image_size == 32
    inverter, card = train_inverter(
        classifier,
        "layer3",
        base,
        str(tmp_path / "sd"),
        FolderImages(tmp_path / "data", 32),
        tmp_path / "inv",
        SETTINGS,
    )
    assert card["loss"]["feature_weight"] == 1.0 and card["final_loss"] == card["final_loss"]  # through the VAE
    loaded = FeatureInverter.load(tmp_path / "inv", classifier=classifier)
    out = loaded.invert(torch.rand(1, 3, 32, 32), samples=1, sampling=SamplingConfig(steps=2))
    assert out.shape == (1, 1, 3, 32, 32) and torch.isfinite(out).all()


def test_invert_and_measure_writes_grids_rows_and_a_summary(world_setup, tmp_path):
    from genlens.inversion.run import invert_and_measure
    from genlens.measure.probes import ConceptProbe
    from genlens.world import get_task

    inv = FeatureInverter.load(world_setup[0] / "inv")
    sample = get_task("shape").sample(3, seed=2)
    summary = invert_and_measure(
        inv, sample.images, tmp_path, sample.records, samples=2, sampling=SamplingConfig(steps=2), probes=ConceptProbe.load(),
        batch_size=2,
    )
    assert summary["n"] == 3 and summary["samples"] == 2 and -1 <= summary["feature_cosine"] <= 1
    assert set(summary["concept_retention"]) == {
        "shape",
        "color",
        "size",
        "position",
        "background_pattern",
        "background_color",
    }
    assert summary["diversity"] > 0 and summary["seconds_per_image"] > 0
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and all(len(r["lost"]) == 2 for r in rows)
    assert rows[1]["truth"]["shape"] == sample.records[1]["objects"][0]["shape"]
    for concept, kept in summary["concept_retention"].items():  # each row's losses add up to the summary
        lost = [concept in sample_lost for r in rows for sample_lost in r["lost"]]
        assert kept == pytest.approx(1 - sum(lost) / 6, abs=1e-4)
        assert all(r["lost"][k][concept] != r["truth"][concept] for r in rows for k in range(2) if concept in r["lost"][k])
    assert sorted(p.name for p in (tmp_path / "grids").iterdir()) == ["00000.png", "00001.png", "00002.png"]


def test_sampler_study_rows_and_bench_cli(world_setup, cli, tmp_path):
    from genlens.inversion.sampler_study import relative_to_protocol, sampler_study

    inv = FeatureInverter.load(world_setup[0] / "inv")
    rows = sampler_study(inv, torch.rand(3, 3, 32, 32), steps=(2, 50))
    assert [(r["sampler"], r["steps"]) for r in rows] == [("ddim", 2), ("ddim", 50), ("dpm", 2), ("dpm", 50)]
    assert all(-1 <= r["feature_cosine"] <= 1 and 0 <= r["top1_agreement"] <= 1 for r in rows)
    slow = {r["steps"]: r["seconds_per_image"] for r in rows if r["sampler"] == "ddim"}
    assert slow[50] > slow[2]  # 25 times the UNet evaluations
    rows.append(
        {
            "sampler": "dpm",
            "steps": 10,
            "feature_cosine": rows[1]["feature_cosine"] * 0.99,
            "seconds_per_image": rows[1]["seconds_per_image"] / 5,
            "top1_agreement": 1.0,
        }
    )
    assert relative_to_protocol(rows) == {"dpm10_cosine_share_of_ddim50": 0.99, "dpm10_speedup_over_ddim50": 5.0} | {
        k: v for k, v in relative_to_protocol(rows).items() if k.startswith("dpm20")
    }
    out = cli(
        "bench",
        "sampler",
        "--classifier",
        "x",
        "--layer",
        "layer2",
        "--inverter",
        str(world_setup[0] / "inv"),
        "--n",
        "2",
        "--report",
        str(tmp_path / "r"),
        "--json",
        check=True,
    )
    result = json.loads(out.stdout)
    assert len(result["rows"]) == 8 and (tmp_path / "r" / "report.html").read_text().count("<polyline") == 2
    page = (tmp_path / "r" / "report.html").read_text()
    again = cli("invert", "--inverter", str(world_setup[0] / "inv"), "--world", "2", "--out", str(tmp_path / "r"))
    assert again.returncode == 2 and "bench sampler run" in again.stderr and "Traceback" not in again.stderr
    assert (tmp_path / "r" / "report.html").read_text() == page


@pytest.mark.parametrize("space", ["pixels", "latents"])
def test_feature_matching_term_is_zero_for_the_true_image_and_skips_dropped_samples(space, tmp_path):
    from genlens.features import FeatureExtractor
    from genlens.generators.diffusion_training import noise_batch
    from genlens.inversion.feature_loss import feature_matching_loss

    torch.manual_seed(0)
    classifier = Classifier(world_cnn(5, widths=(8, 16, 16)), ClassifierConfig("world-cnn", list("abcde")))
    if space == "pixels":
        base = tiny_world_pipeline()
    else:  # the true image is then the decoder's reconstruction of its latent
        tiny_stable_diffusion(tmp_path / "sd")
        base = load_base(tmp_path / "sd")
    features = FeatureExtractor(classifier, ["layer2"])
    images = WorldImages(32).batch(4, 0, 0)
    clean = base.encode_images(images)
    fmap = features(base.decode_samples(clean).detach())["layer2"]
    noisy, target, t = noise_batch(base.scheduler, clean, torch.Generator().manual_seed(1))
    everyone = torch.ones(4, dtype=torch.bool)
    exact = feature_matching_loss(features, "layer2", base, noisy, target, t, fmap, everyone)
    wrong = feature_matching_loss(features, "layer2", base, noisy, torch.zeros_like(target), t, fmap, everyone)
    dropped = feature_matching_loss(features, "layer2", base, noisy, torch.zeros_like(target), t, fmap, ~everyone)
    assert exact < 1e-3 and wrong > 0.05 and dropped == 0
    half = torch.tensor([True, False, True, False])  # the dropped half's predictions weigh nothing
    noise_in_dropped = torch.where(half[:, None, None, None], torch.zeros_like(target), torch.randn_like(target))
    mixed = feature_matching_loss(features, "layer2", base, noisy, noise_in_dropped, t, fmap, half)
    alone = feature_matching_loss(features, "layer2", base, noisy[half], noise_in_dropped[half], t[half], fmap[half], half[half])
    assert torch.allclose(mixed, alone)


def test_feature_weight_defaults_by_base_space_and_is_recorded(world_setup):
    _, card = world_setup
    assert card["loss"]["feature_weight"] == 1.0


def test_identity_steering_leaves_sampling_unchanged_and_feature_steering_closes_the_gap(world_setup):
    from genlens.inversion.feature_steering import FeatureSteering, feature_steer
    from genlens.measure.fidelity import relative_feature_error

    inv = FeatureInverter.load(world_setup[0] / "inv")
    images = torch.rand(4, 3, 32, 32)
    maps = inv.feature_maps(images)
    for velocity in (True, False):
        inv.base.scheduler.register_to_config(prediction_type="v_prediction" if velocity else "epsilon")
        unsteered = inv.invert_maps(maps, 1, SamplingConfig(steps=4, seed=1))[:, 0]
        identity = inv.base(["x"] * 4, steps=4, generator=torch.Generator().manual_seed(1), steer=lambda c, t: c)
        plain_text = inv.base(["x"] * 4, steps=4, generator=torch.Generator().manual_seed(1))
        torch.testing.assert_close(identity, plain_text, atol=1e-5, rtol=0)
        steered = inv.steered(FeatureSteering(0.05, 8)).invert_maps(maps, 1, SamplingConfig(steps=4, seed=1))[:, 0]
        before = relative_feature_error(maps, inv.feature_maps(unsteered)).mean()
        after = relative_feature_error(maps, inv.feature_maps(steered)).mean()
        assert after < 0.9 * before
    steer = feature_steer(inv.features, "layer2", maps, FeatureSteering(0.02, 20))
    start = torch.rand(4, 3, 32, 32) - 0.5

    def images_of(x):
        return ((x + 1) / 2).clamp(0, 1)

    before = relative_feature_error(maps, inv.feature_maps(images_of(start))).mean()
    after = relative_feature_error(maps, inv.feature_maps(images_of(steer(start, 500)))).mean()
    assert after < 0.5 * before
    assert FeatureSteering().active is False
    torch.testing.assert_close(inv.steered(FeatureSteering()).invert_maps(maps, 1, SamplingConfig(steps=4, seed=1))[:, 0], unsteered)


def _controlnet_state(inverter_or_controlnet):
    module = getattr(inverter_or_controlnet, "controlnet", inverter_or_controlnet)
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_a_second_phase_starts_from_the_given_controlnet_and_leaves_it_unchanged(world_setup, tmp_path):
    from genlens.classifiers.loader import load_classifier

    root, _ = world_setup
    start = FeatureInverter.load(root / "inv")
    before = _controlnet_state(start)
    classifier, base = load_classifier(str(root / "cnn")), load_base(root / "base")
    args = (classifier, "layer2", base, "world", WorldImages(32, seed=5))
    frozen = TrainSettings(**{**SETTINGS.__dict__, "lr": 0.0})
    still, _ = train_inverter(*args, tmp_path / "still", frozen, init=start.controlnet)
    for k, v in _controlnet_state(still).items():
        torch.testing.assert_close(v, before[k])  # no learning rate: the starting weights, not a fresh copy
    moved, _ = train_inverter(*args, tmp_path / "moved", SETTINGS, init=start.controlnet)
    assert any(not torch.equal(v, before[k]) for k, v in _controlnet_state(moved).items())
    for k, v in _controlnet_state(start).items():
        assert torch.equal(v, before[k])  # the start is copied, not trained in place
    with pytest.raises(GenlensError, match=r"reads 16 channels \(spatial\); this layer has 16 \(pooled\)"):
        train_inverter(
            classifier,
            "layer3",
            base,
            "world",
            WorldImages(32),
            tmp_path / "x",
            SETTINGS,
            pooled=True,
            init=start.controlnet,
        )


def test_train_inverter_cli_continues_from_an_inverter_of_the_same_layer(world_setup, cli, tmp_path):
    root, _ = world_setup
    common = ["train", "inverter", "--classifier", str(root / "cnn"), "--base", str(root / "base")]
    common += ["--init", str(root / "inv"), "--steps", "1", "--batch-size", "2", "--device", "cpu", "--json"]
    r = cli(*common, "--layer", "layer3", "--out", str(tmp_path / "a"))
    assert r.returncode == 2 and "was trained for layer layer2, not layer3" in r.stderr and "Traceback" not in r.stderr
    r = cli(*common, "--layer", "layer2", "--out", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["steps"] == 1 and FeatureInverter.load(tmp_path / "b").config.layer == "layer2"


def test_train_inverter_cli_whitened_reads_the_map_by_the_layers_own_channel_statistics(world_setup, cli, tmp_path):
    root, _ = world_setup
    r = cli("train", "inverter", "--classifier", str(root / "cnn"), "--base", str(root / "base"), "--layer", "layer2",
            "--steps", "1", "--batch-size", "2", "--device", "cpu", "--whitened", "--json", "--out", str(tmp_path / "w"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["whitened"] is True
    encoder = FeatureInverter.load(tmp_path / "w").controlnet.controlnet_cond_embedding
    assert encoder.config.whitened and encoder.whitening_mean.abs().max() > 0  # set from the maps, not left at zero
    assert not torch.allclose(encoder.whitening_matrix.float(), torch.eye(encoder.whitening_matrix.shape[0]))
    r = cli("train", "inverter", "--classifier", str(root / "cnn"), "--base", str(root / "base"), "--layer", "layer2",
            "--steps", "1", "--batch-size", "2", "--device", "cpu", "--whitened-loss", "--out", str(tmp_path / "l"))
    assert r.returncode == 2 and "whitened ControlNet" in r.stderr  # the loss's coordinates come from the ControlNet


def test_whitened_feature_loss_weighs_every_direction_of_the_maps_variance_alike():
    from types import SimpleNamespace

    from diffusers import DDPMScheduler

    from genlens.features import FeatureExtractor
    from genlens.generators.whitening import zca
    from genlens.inversion.feature_loss import feature_matching_loss

    torch.manual_seed(0)
    classifier = torch.nn.Sequential()
    classifier.add_module("layer", torch.nn.Identity())
    features = FeatureExtractor(classifier, ["layer"])
    scheduler = DDPMScheduler(num_train_timesteps=10)
    base = SimpleNamespace(scheduler=scheduler, decode_samples=lambda x: x)
    scale = torch.tensor([10.0, 1.0, 0.2]).view(1, 3, 1, 1)  # variances 2,500 times apart (world-cnn layer2's: 1,100)
    maps = torch.randn(512, 3, 4, 4) * scale
    whitening = zca(maps)
    target, t, kept = maps[:8], torch.zeros(8, dtype=torch.long), torch.ones(8, dtype=torch.bool)
    errors = {}
    for channel in range(3):  # one standard deviation of error along each channel in turn
        moved = target.clone()
        moved[:, channel] += scale[0, channel]
        noisy = moved * scheduler.alphas_cumprod[0].sqrt()  # with a zero noise prediction the clean image is `moved`
        errors[channel] = [
            float(feature_matching_loss(features, "layer", base, noisy, torch.zeros_like(noisy), t, target, kept, whitening=w))
            for w in (None, whitening)
        ]
    raw, white = zip(*errors.values())
    assert raw[0] > 1e3 * raw[2]  # as the map is, the smallest direction's error is invisible
    assert max(white) < 1.5 * min(white)  # whitened, the same error counts alike along each


def test_train_inverter_cli_never_replaces_a_finished_inverter_or_other_files(world_setup, cli, tmp_path):
    root, _ = world_setup
    common = ["train", "inverter", "--classifier", str(root / "cnn"), "--base", str(root / "base"), "--layer", "layer2"]
    common += ["--steps", "1", "--batch-size", "2", "--device", "cpu"]
    finished = tmp_path / "finished"
    shutil.copytree(root / "inv", finished, ignore=shutil.ignore_patterns("checkpoints"))  # a finished inverter
    weights = (finished / "controlnet" / "diffusion_pytorch_model.safetensors").read_bytes()
    r = cli(*common, "--out", str(finished))
    assert r.returncode == 2 and "already holds a model" in r.stderr and "Traceback" not in r.stderr
    assert (finished / "controlnet" / "diffusion_pytorch_model.safetensors").read_bytes() == weights
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "a.png").write_bytes(b"mine")
    r = cli(*common, "--out", str(photos))
    assert r.returncode == 2 and "not empty" in r.stderr and (photos / "a.png").read_bytes() == b"mine"
    assert cli(*common, "--out", str(finished), "--overwrite").returncode == 0
    assert (finished / "controlnet" / "diffusion_pytorch_model.safetensors").read_bytes() != weights


def test_invert_takes_a_shell_glob_of_images_and_records_each_source(cli_here, tmp_path):
    import json

    from PIL import Image

    from genlens.world import get_task, to_uint8

    files = []
    for i, p in enumerate(to_uint8(get_task("shape").sample(2, seed=3).images)):
        files.append(tmp_path / f"img{i}.png")
        Image.fromarray(p).save(files[-1])
    out = tmp_path / "out"
    # what `--images dir/*.png` expands to: one --images, the other files as extra arguments
    code, stdout, err = cli_here("invert", "--classifier", "world-cnn", "--layer", "layer3", "--images", str(files[0]),
                                 str(files[1]), "--samples", "1", "--steps", "2", "--observer", "none", "--out", str(out), "--json")
    assert code == 0, err
    assert json.loads(stdout)["n"] == 2
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rows] == [str(f) for f in files]
    code, _, err = cli_here("invert", "--classifier", "world-cnn", "--layer", "layer3", str(files[0]), "--out", str(tmp_path / "o2"))
    assert code == 2 and "--images" in err


def test_invert_eval_inversion_and_bench_sampler_report_the_same_figures_from_one_loop(world_setup, tmp_path):
    from genlens.inversion.comparison import compare
    from genlens.inversion.run import invert_and_measure
    from genlens.inversion.sampler_study import sampler_study

    inv = FeatureInverter.load(world_setup[0] / "inv")
    images = torch.rand(3, 3, 32, 32)
    sampling = SamplingConfig(steps=2, sampler="dpm", seed=4)
    invert = invert_and_measure(inv, images, tmp_path / "run", sampling=sampling, batch_size=2)
    compared, _ = compare(inv.classifier, inv.layer, {"featinv": inv}, images, images.roll(1, 0), sampling=sampling, batch_size=2)
    bench = sampler_study(inv, images, steps=(2,), samplers=("dpm",), sampling=sampling, batch_size=2)[0]
    for key in ("feature_cosine", "top1_agreement", "diversity"):
        assert invert[key] == compared["featinv"][key] == bench[key], key
    # and the seed reaches the samples: another seed, other figures
    other = invert_and_measure(inv, images, tmp_path / "other", sampling=SamplingConfig(steps=2, seed=5), batch_size=2)
    assert other["feature_cosine"] != invert["feature_cosine"]

