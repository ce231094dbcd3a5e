"""``python -m bench.benchmark --pool`` on CPU: the sentence pool, one row per engine, the fp32 comparison."""

from __future__ import annotations

import re

import pytest

from bench.benchmark import main
from bench.benchmark_pool import PoolRow, pool_sentences


@pytest.mark.shared_data
def test_pool_prints_harness_raw_and_tokenizer_figures_per_engine(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--pool", "--pool-corpora", "babe", "--pool-limit", "16", "--engines", "torch", "torch+int8",
          "--compare-fp32", "--cache-dir", "none", "model.batch_size=8"])
    out = capsys.readouterr().out
    assert "(babe 3,674 sentences; 16 timed) on CPU" in out
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.strip().strip("|").split("|")]
                                          for line in out.splitlines() if line.startswith("| torch"))}
    assert set(rows) == {"torch", "torch+int8"}
    fp32, int8 = rows["torch"], rows["torch+int8"]
    assert fp32[1:4] == ["fp32", "cpu", "8 sentences"] and int8[1] == "int8"
    for cells in (fp32, int8):
        harness, raw, tokenizer, ratio = (float(c.replace(",", "")) for c in cells[4:8])
        assert harness > 0 and raw > 0 and tokenizer > raw  # the tokenizer alone outruns the model on a CPU
        assert ratio == pytest.approx(harness / min(raw, tokenizer), rel=0.05)  # from rounded figures
    # the fp32 engine is the reference itself; int8 weights move the probabilities a little
    assert float(fp32[8]) == 0 and fp32[9] == "0"
    assert 0 < float(int8[8]) < 0.05


@pytest.mark.shared_data
def test_pool_is_every_sentence_of_the_corpora_or_a_seeded_sample(tmp_path) -> None:
    texts, counts = pool_sentences(["babe"], [], tmp_path, None, 13)
    assert counts == {"babe": 3674} and len(texts) == 3674 and all(t.strip() for t in texts)
    sample, _ = pool_sentences(["babe"], [], tmp_path, 100, 13)  # read back from the corpus cache
    assert len(sample) == 100 and set(sample) <= set(texts)
    assert sample == pool_sentences(["babe"], [], tmp_path, 100, 13)[0]  # seeded
    assert sample != pool_sentences(["babe"], [], tmp_path, 100, 7)[0]


def test_ratio_is_against_the_slower_of_raw_forward_and_tokenizer() -> None:
    row = PoolRow("torch", "fp32", "cpu", "64 sentences", 100, harness_per_s=80.0, raw_per_s=100.0,
                  tokenizer_per_s=5000.0)
    assert row.ratio == pytest.approx(0.8)
    row.raw_per_s, row.tokenizer_per_s = 40000.0, 20000.0  # a GPU: the tokenizer is the slower one
    row.harness_per_s = 18000.0
    assert row.ratio == pytest.approx(0.9)


def test_bad_pool_options_are_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--pool", "--engines", "tensorrt"])
    assert exit_info.value.code == 2
    assert re.search(r"--engines: tensorrt \(choose from torch, torch\+int8, onnx, onnx\+int8\)",
                     capsys.readouterr().err)
