from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from casetag_cli import app
from labels.taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy


def test_shipped_taxonomy_has_31_tags_in_three_groups():
    tax = load_taxonomy()
    assert tax.version == "v1"
    assert len(tax.ids) == 31 == len(set(tax.ids))
    assert set(tax.groups) == {"person", "abuse", "practice"}
    assert tax["missed_merlin_acn"].group == "practice"
    assert "consent" in tax["consent_to_share_refused"].tag_when
    assert tax.unknown(["mental_health", "umbrella_abuse"]) == ["umbrella_abuse"]


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load(DEFAULT_TAXONOMY.read_text())
    mutate(raw)
    path = tmp_path / "tax.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_duplicate_id_is_rejected(tmp_path):
    path = _write(tmp_path, lambda raw: raw["tags"].append(dict(raw["tags"][0])))
    with pytest.raises(TaxonomyError, match="substance_misuse.*twice"):
        load_taxonomy(path)


def test_unknown_group_is_rejected(tmp_path):
    path = _write(tmp_path, lambda raw: raw["tags"][3].update(group="people"))
    with pytest.raises(TaxonomyError, match="unknown group 'people'"):
        load_taxonomy(path)


def test_missing_field_is_rejected(tmp_path):
    path = _write(tmp_path, lambda raw: raw["tags"][0].pop("definition"))
    with pytest.raises(TaxonomyError, match="lacks definition"):
        load_taxonomy(path)


def test_taxonomy_command_prints_every_tag():
    result = CliRunner().invoke(app, ["taxonomy"])
    assert result.exit_code == 0
    for tag_id in load_taxonomy().ids:
        assert tag_id in result.output
