"""`casetag benchmark` on a tiny model: every backend runs and the report adds up."""
import json

from typer.testing import CliRunner

from casetag_cli import app
from test_prelabel import EXAMPLE


def test_benchmark_reports_each_backend_and_end_to_end(tiny_model, tiny_tagger):
    result = CliRunner().invoke(app, ["benchmark", str(EXAMPLE), "--model", str(tiny_model),
                                      "--torch-model", str(tiny_tagger), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    backends = {b["backend"]: b for b in report["backends"]}
    assert set(backends) == {"torch", "fp32", "int8"}
    for b in backends.values():
        assert b["paragraphs"] == 18 and b["per_second"] > 0 and 20 < b["peak_rss_mb"] < 4000
    assert report["int8_speedup_vs_torch"] == backends["int8"]["per_second"] / backends["torch"]["per_second"]
    assert 0.9 <= report["int8_vs_fp32_tag_agreement"] <= 1.0
    assert report["end_to_end"]["paragraphs"] == 18 and report["end_to_end"]["seconds"] > 0


def test_benchmark_profile_shows_time_by_operator(tiny_model):
    result = CliRunner().invoke(app, ["benchmark", str(EXAMPLE), "--model", str(tiny_model), "--profile"])
    assert result.exit_code == 0, result.output
    assert "kernel time by operator" in result.stdout
    assert "DynamicQuantizeMatMul" in result.stdout or "MatMulInteger" in result.stdout
