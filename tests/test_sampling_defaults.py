"""A base folder records the classifier-free guidance its captions are sampled with by default."""

import json

import torch

from genlens.generators.base_model import load_base, new_world_pipeline
from genlens.generators.diffusion_training import save_pipeline
from genlens.generators.pipeline import WorldDiffusionPipeline

STAR = "a small red star in the centre on a plain black background"


def _draw(pipe, **options):
    return pipe([STAR], steps=2, generator=torch.Generator().manual_seed(1), **options)


def test_a_folder_samples_at_its_own_guidance_unless_asked_otherwise_and_an_older_folder_at_one(tmp_path):
    torch.manual_seed(0)
    pipe = new_world_pipeline(sample_size=8, text_width=32, block_out_channels=(32, 32), caption_words=True)
    save_pipeline(WorldDiffusionPipeline(**pipe.base_components | {"guidance": 3.0}), tmp_path / "base", {"kind": "base"})
    base = load_base(tmp_path / "base")
    assert base.guidance_scale == 3.0 and base.with_controlnet(None).guidance_scale == 3.0
    assert torch.equal(_draw(base), _draw(base, guidance=3.0))
    assert not torch.equal(_draw(base), _draw(base, guidance=1.0))

    index = tmp_path / "base" / "model_index.json"
    config = json.loads(index.read_text())
    del config["guidance"]
    index.write_text(json.dumps(config))
    older = load_base(tmp_path / "base")
    assert older.guidance_scale == 1.0 and torch.equal(_draw(older), _draw(base, guidance=1.0))
