"""`casetag benchmark`: paragraphs per second and peak memory, PyTorch eager vs ONNX fp32 vs int8.

Each backend runs in its own process on the same paragraphs, so its peak RSS is its own.
The end-to-end figure is a whole `casetag prelabel` run on a document: start-up, model load,
reading, segmentation, tagging and writing.
"""
from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from inference.onnx_model import OnnxTagger
from labels.records import Unit, read_jsonl


@dataclass
class BackendResult:
    backend: str
    paragraphs: int
    load_seconds: float
    seconds: float
    per_second: float
    peak_rss_mb: float


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry over from
    the parent that started the process)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_backend(backend: str, *, units: Path, model: Path, threads: int, batch_size: int,
                scores_out: Path) -> BackendResult:
    """Score every unit with one backend (in this process); write the scores to `scores_out`."""
    rows = read_jsonl(units, Unit)
    start = time.perf_counter()
    if backend == "torch":
        import torch

        from training.model import load_tagger, load_tokenizer, predict_scores

        torch.set_num_threads(threads)
        tagger, meta = load_tagger(model)
        tokenizer = load_tokenizer(model, meta.max_length)
        texts = [meta.input_format.format(text=u.text, section=u.section, section_kind=u.section_kind) for u in rows]
        loaded = time.perf_counter()
        scores = predict_scores(tagger, meta, tokenizer, texts, batch_size=32)  # its best batch size
    else:
        tagger = OnnxTagger(model, threads=threads)
        texts = [tagger.card.format_input(u.text, u.section, u.section_kind) for u in rows]
        loaded = time.perf_counter()
        scores = tagger.scores(texts, batch_size=batch_size)
    done = time.perf_counter()
    np.save(scores_out, scores)
    return BackendResult(backend, len(rows), loaded - start, done - loaded, len(rows) / (done - loaded),
                         _peak_rss_mb())


def _child(args: list[str]) -> tuple[str, float]:
    """Run a worker process; its last stdout line and wall seconds."""
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout.strip().splitlines()[-1], seconds


def benchmark(*, units: Path, model: Path, torch_model: Path | None, document: Path | None,
              threads: int = 2, batch_size: int = 1, profile: bool = False) -> dict:
    """Run each backend on `units`; time `casetag prelabel` end to end on `document`; with
    `profile`, add the int8 model's time by operator (after the timed runs)."""
    results, scores = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        backends = [("int8", model)]
        if torch_model:
            fp32 = tmp / "fp32"
            _export_fp32(torch_model, model, fp32)
            backends = [("torch", torch_model), ("fp32", fp32), ("int8", model)]
        for name, path in backends:
            out, _ = _child([sys.executable, "-m", "training.benchmark", name, str(units), str(path),
                             str(threads), str(batch_size), str(tmp / f"{name}.npy")])
            results.append(BackendResult(**json.loads(out)))
            scores[name] = np.load(tmp / f"{name}.npy")
        report: dict = {"threads": threads, "batch_size": batch_size, "backends": [asdict(r) for r in results]}
        by = {r.backend: r for r in results}
        thresholds = OnnxTagger(model).thresholds
        if "torch" in by:
            report["int8_speedup_vs_torch"] = by["int8"].per_second / by["torch"].per_second
            same = (scores["int8"] >= thresholds) == (scores["fp32"] >= thresholds)
            report["int8_vs_fp32_tag_agreement"] = float(same.mean())
            report["int8_vs_fp32_identical_paragraphs"] = float(same.all(axis=1).mean())
        if document:
            out_file = tmp / "e2e.jsonl"
            rss, seconds = _child([sys.executable, "-m", "training.benchmark", "e2e", str(document), str(model),
                                   str(threads), str(batch_size), str(out_file)])
            report["end_to_end"] = {"document": str(document), "paragraphs": len(out_file.read_text().splitlines()),
                                    "seconds": seconds, "peak_rss_mb": float(rss)}
        if profile:
            report["profile"] = profile_ops(model, units)
    return report


def profile_ops(model: Path, units: Path) -> dict:
    """Where the int8 model's time goes: onnxruntime's own profile of one thread scoring every
    unit at batch size 1, summed by operator type (seconds, largest first)."""
    with tempfile.TemporaryDirectory() as tmp:
        tagger = OnnxTagger(model, threads=1, profile_prefix=str(Path(tmp) / "ort"))
        texts = [tagger.card.format_input(u.text, u.section, u.section_kind) for u in read_jsonl(units, Unit)]
        ids, _ = tagger.windows(texts)
        start = time.perf_counter()
        tagger.logits(ids, batch_size=1)
        seconds = time.perf_counter() - start
        events = json.loads(Path(tagger.session.end_profiling()).read_text())
    ops: dict[str, float] = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            ops[e["args"]["op_name"]] = ops.get(e["args"]["op_name"], 0.0) + e["dur"] / 1e6
    return {"windows": len(ids), "mean_tokens": float(np.mean([len(x) for x in ids])), "seconds": seconds,
            "per_second": len(ids) / seconds, "ops": dict(sorted(ops.items(), key=lambda kv: -kv[1]))}


def _export_fp32(torch_model: Path, int8_model: Path, target: Path) -> None:
    """The fused fp32 ONNX graph of `torch_model`, beside the int8 model's tokenizer and card."""
    from training.export import export_onnx, optimize_onnx
    from training.model import load_tagger

    tagger, _ = load_tagger(torch_model)
    target.mkdir(parents=True)
    export_onnx(tagger, target / "raw.onnx")
    optimize_onnx(target / "raw.onnx", target / "model.onnx",
                  num_heads=tagger.encoder.config.num_attention_heads, hidden_size=tagger.encoder.config.hidden_size)
    (target / "raw.onnx").unlink()
    for name in ("tokenizer.json", "model_card.json"):
        shutil.copy(int8_model / name, target / name)


def format_table(report: dict) -> str:
    lines = [f"{'backend':<8} {'paragraphs':>10} {'load s':>7} {'tag s':>7} {'para/s':>8} {'peak MB':>8}"]
    for r in report["backends"]:
        lines.append(f"{r['backend']:<8} {r['paragraphs']:>10} {r['load_seconds']:>7.2f} {r['seconds']:>7.2f} "
                     f"{r['per_second']:>8.1f} {r['peak_rss_mb']:>8.0f}")
    if "int8_speedup_vs_torch" in report:
        lines.append(f"int8 vs torch eager: {report['int8_speedup_vs_torch']:.1f}x; "
                     f"int8 vs fp32 tag agreement: {report['int8_vs_fp32_tag_agreement']:.2%} "
                     f"(identical paragraphs {report['int8_vs_fp32_identical_paragraphs']:.1%})")
    if e2e := report.get("end_to_end"):
        lines.append(f"end to end: {e2e['paragraphs']} paragraphs of {Path(e2e['document']).name} in "
                     f"{e2e['seconds']:.2f} s (peak {e2e['peak_rss_mb']:.0f} MB)")
    if prof := report.get("profile"):
        kernels = sum(prof["ops"].values())
        lines.append(f"int8 profile, one thread, batch 1: {prof['windows']} windows of {prof['mean_tokens']:.0f} "
                     f"tokens on average, {prof['per_second']:.0f}/s; kernel time by operator:")
        lines += [f"  {op:<28} {s:7.2f} s {s / kernels:7.1%}" for op, s in list(prof["ops"].items())[:8]]
    return "\n".join(lines)


def _end_to_end(document: str, model: str, threads: str, batch_size: str, out: str) -> None:
    """`casetag prelabel` as a user runs it, in this fresh process; prints its peak RSS (MB)."""
    from casetag_cli import app

    app(["prelabel", document, "--model", model, "--out", out, "--threads", threads,
         "--batch-size", batch_size, "--no-progress"], standalone_mode=False)
    print(_peak_rss_mb())


if __name__ == "__main__":  # a worker: BACKEND|e2e INPUT MODEL THREADS BATCH_SIZE OUTPUT
    name, *rest = sys.argv[1:]
    if name == "e2e":
        _end_to_end(*rest)
    else:
        units_path, model_path, n_threads, size, out_path = rest
        result = run_backend(name, units=Path(units_path), model=Path(model_path), threads=int(n_threads),
                             batch_size=int(size), scores_out=Path(out_path))
        print(json.dumps(asdict(result)))
