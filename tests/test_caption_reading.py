"""World captions read back into the concepts they name."""

from genlens.measure.probes import probe_truth
from genlens.world import get_task
from genlens.world.caption_reading import caption_truth, read_caption
from genlens.world.captions import EMPTY_TEMPLATE, caption


def test_every_template_of_a_single_object_caption_reads_back_to_its_record():
    sample = get_task("shape").sample(40, seed=3, split="test")
    for record in sample.records:
        for template in range(3):
            assert caption_truth(caption(record, template)) == probe_truth(record)


def test_a_scene_of_several_objects_reads_back_every_object_and_no_single_object_concepts():
    sample = get_task("depict6").sample(40, seed=4, split="test")
    several = [r for r in sample.records if len(r["objects"]) > 1]
    assert several
    for record in several:
        read = read_caption(caption(record, 1))
        keys = ("shape", "color", "size", "position")
        assert read["objects"] == [{k: o[k] for k in keys} for o in record["objects"]]
        assert read["background"] == {k: record["background"][k] for k in ("pattern", "color")}
        assert set(caption_truth(caption(record))) == {"background_pattern", "background_color"}


def test_captions_outside_the_worlds_phrasing_name_only_what_they_say():
    assert read_caption(EMPTY_TEMPLATE.format(background="dotted brown")) == {
        "objects": [], "background": {"pattern": "dots", "color": "brown"}}
    assert caption_truth("A  Small RED star at the top") == {
        "size": "small", "color": "red", "shape": "star", "position": "top"}
    assert caption_truth("a red star") == {}
