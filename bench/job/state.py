"""The explicit state one job's steps read and fill in, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from bench.data.corpus import Corpus
from bench.data.schema import Document
from bench.evaluation import Evaluation
from bench.predictions import DocumentPrediction
from bench.scorers.base import Scorer
from bench.tasks import Output, Task


@dataclass
class Reference:
    """The reference article(s) and the model's predictions on them."""

    documents: list[Document]
    predictions: list[DocumentPrediction]
    levels: list[str]


@dataclass
class RunState:
    """Everything a job knows: its config first, then what each step adds.

    load_data → corpus, train_corpus, eval_docs, levels; build_model → scorer, output;
    fit_model → model_dir, training_metrics; predict → predictions; evaluate → evaluation;
    analyse → metrics, slice_rows; show_reference → reference.
    """

    cfg: DictConfig
    task: Task
    output_dir: Path
    scratch: Path
    sweep_id: str = ""
    corpus: Corpus | None = None
    train_corpus: Corpus | None = None
    eval_split: str = ""
    eval_docs: list[Document] = field(default_factory=list)
    #: levels the corpus has gold for and the model can be scored at
    levels: list[str] = field(default_factory=list)
    #: whether the corpus's spans are gold for the task (sentence gold may be derived from them)
    spans_are_gold: bool = False
    scorer: Scorer | None = None
    output: Output | None = None
    training_metrics: dict[str, float] = field(default_factory=dict)
    predictions: list[DocumentPrediction] = field(default_factory=list)
    inference_seconds: float = 0.0
    evaluation: Evaluation | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    slice_rows: list[dict[str, Any]] = field(default_factory=list)
    reference: Reference | None = None
    #: results of the behavioural suites named in ``evaluation.behaviour`` (bench.behaviour)
    behaviour: list[Any] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return str(self.cfg.model.name)

    @property
    def model_dir(self) -> Path:
        """Where a trained or loaded model is written, to be logged as the run's ``model/`` artifact."""
        return self.scratch / "model"

    @property
    def threshold(self) -> float:
        return self.scorer.threshold if self.scorer is not None else 0.5
