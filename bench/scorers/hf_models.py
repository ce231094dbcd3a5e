"""Transformer scorers: fine-tuned sentence classifier and token tagger, and a generic pipeline adapter.

Inference tokenises every input once, on a background thread ahead of the forward passes, in
batches of similar token length (``model.max_tokens_per_batch`` padded tokens, or ``batch_size``
inputs), copies them to CUDA from pinned memory without blocking, runs at ``model.precision``
(bf16 autocast on CUDA by default, fp32 on CPU) and reads the results back once at the end.
``model.runtime=onnx`` and ``model.quantize=int8`` choose a faster CPU engine (``hf_runtime``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np
import torch

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.metrics.spans import merge_overlapping
from bench.scorers.base import DocumentPrediction, Scorer
from bench.predictions import TextExample
from bench.scorers.examples import bio_tags, spans_from_bio
from bench.scorers.hf_common import (Batch, TrainingSettings, encode, padded_batches, pick_device, precision_name,
                                     prefetch, resolve_model_path, resolve_precision, tokenizer_workers,
                                     tokens_per_batch, train_batch_size, train_loop)
from bench.scorers.hf_runtime import build_engine, check_runtime
from bench.scorers.model_files import check_hf_folder
from bench.scorers.trainable import TrainableScorer, best_f1_threshold, read_meta, tuned_threshold, write_meta
from bench.tasks import Output, Task, span_label_output, span_output, unit_probability_output

BIO = ("O", "B", "I")


def _quiet_transformers() -> None:
    """Silence the expected 'newly initialised head' report when fine-tuning a base encoder."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # "Loading weights" bars: the job shows its own progress


class _TransformerScorer(TrainableScorer):
    """Fine-tunes a pre-trained encoder; weights saved and loaded as safetensors."""

    auto_class: str = ""
    #: bench_meta.json entries this scorer needs beyond the common ones
    _required_meta: dict[str, type] = {}
    #: inference-only settings: not part of the trained model's key (the prediction fingerprint names the engine)
    inference_only: ClassVar[frozenset[str]] = frozenset({"runtime", "quantize", "max_tokens_per_batch"})
    #: how inputs are prepared, never what is predicted: no part of any key
    not_params: ClassVar[frozenset[str]] = Scorer.not_params | {"tokenizer_workers"}

    def __init__(self, model_name_or_path: str = "minilm", max_length: int = 128, batch_size: int = 32,
                 device: str = "auto", epochs: int = 3, train_batch_size: int | str = 16,
                 learning_rate: float = 5e-5, weight_decay: float = 0.01, warmup_ratio: float = 0.1,
                 patience: int = 1, max_steps_per_epoch: int | None = None, trust_remote_code: bool = False,
                 load_from: str | None = None, seed: int = 13, tune_threshold: bool = True,
                 precision: str = "auto", max_tokens_per_batch: int | str | None = "auto", runtime: str = "torch",
                 quantize: str | None = None, tokenizer_workers: int | str = "auto") -> None:
        self.model_name_or_path = model_name_or_path
        self.max_length, self.batch_size, self.device_name = max_length, batch_size, device
        self.device = pick_device(device)
        self.trust_remote_code = trust_remote_code
        self.epochs, self.train_batch_size, self.learning_rate = epochs, train_batch_size, learning_rate
        self.weight_decay, self.warmup_ratio, self.patience = weight_decay, warmup_ratio, patience
        self.max_steps_per_epoch = max_steps_per_epoch
        self.precision, self.max_tokens_per_batch = precision, max_tokens_per_batch
        self.runtime, self.quantize, self.tokenizer_workers = runtime, quantize, tokenizer_workers
        self.dtype = resolve_precision(precision, self.device)
        check_runtime(runtime, quantize, precision, self.device)
        self.settings = TrainingSettings(epochs, train_batch_size_for(train_batch_size, self.device), learning_rate,
                                         weight_decay, warmup_ratio, patience, max_steps_per_epoch)
        self.model: Any = None
        self.tokenizer: Any = None
        self._engine: Any = None
        super().__init__(load_from=load_from, seed=seed, tune_threshold=tune_threshold)

    # ------------------------------------------------------------------ inference settings
    def inference_variant(self) -> str:
        """How inference departs from the fp32 torch model ('' when it does not): runtime, int8, precision."""
        parts = [self.runtime] if self.runtime != "torch" else []
        parts += [self.quantize] if self.quantize else []
        inference_dtype = torch.float32 if (self.runtime != "torch" or self.quantize) else self.dtype
        parts += [precision_name(inference_dtype)] if inference_dtype != torch.float32 else []
        return "-".join(parts)

    def fingerprint(self) -> str:
        """The trained model's key, plus the inference variant (its predictions differ slightly)."""
        variant = self.inference_variant()
        return f"{super().fingerprint()}+{variant}" if variant else super().fingerprint()

    def training_params(self) -> dict[str, Any]:
        """:meth:`params` less the inference-only settings, with the precision training actually runs at
        (mixed precision on CUDA only): on a CPU, ``precision=bf16`` reuses the fp32-trained model."""
        params = {k: v for k, v in self.params().items() if k not in self.inference_only}
        params["precision"] = precision_name(self.dtype) if self.device.type == "cuda" else "fp32"
        return params

    def fp32_reference(self) -> "_TransformerScorer | None":
        """The same fitted model predicting in fp32 with torch, to measure what the inference variant
        changes (None when this scorer already predicts that way)."""
        if not self.inference_variant():
            return None
        reference = copy.copy(self)
        reference.runtime, reference.quantize, reference.dtype, reference._engine = "torch", None, torch.float32, None
        return reference

    def engine(self) -> Any:
        """The inference engine, built on first use (ONNX export, int8 quantisation)."""
        if self._engine is None:
            names = [n for n in self.tokenizer.model_input_names if n != "offset_mapping"]
            self._engine = build_engine(self.model, names, runtime=self.runtime, quantize=self.quantize,
                                        device=self.device, dtype=self.dtype)
        return self._engine

    def _batches(self, texts: Sequence[str], pairs: Sequence[str | None] | None, *, offsets: bool = False
                 ) -> Any:
        engine = self.engine()
        budget = tokens_per_batch(self.max_tokens_per_batch, engine.device)
        workers = tokenizer_workers(self.tokenizer_workers, engine.device)
        batches = padded_batches(self.tokenizer, texts, pairs, max_length=self.max_length, batch_size=self.batch_size,
                                 max_tokens=budget, pin=engine.pin, offsets=offsets, workers=workers)
        return batches if workers else prefetch(batches)  # worker processes already run ahead

    # ------------------------------------------------------------------ model files
    def _from_pretrained(self, source: str, **kwargs: Any) -> None:
        import transformers

        _quiet_transformers()
        auto = getattr(transformers, self.auto_class)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, trust_remote_code=self.trust_remote_code)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ConfigError(f"{source}: a fast tokenizer is needed for character offsets")
        self.model = auto.from_pretrained(source, trust_remote_code=self.trust_remote_code, use_safetensors=True,
                                          **kwargs).to(self.device)
        self._engine = None

    def fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None = None
            ) -> "_TransformerScorer":
        """Training, validation and threshold tuning use the torch model (at ``model.precision``) whatever
        ``model.runtime`` and ``model.quantize`` say: the trained model and its threshold do not depend on them."""
        runtime, quantize = self.runtime, self.quantize
        self.runtime, self.quantize, self._engine = "torch", None, None
        try:
            return super().fit(train, task, validation)  # type: ignore[return-value]
        finally:
            self.runtime, self.quantize, self._engine = runtime, quantize, None

    def _train(self, make_batch: Any, n_examples: int, validate: Any) -> tuple[list[dict[str, float]], dict[str, float]]:
        """The training loop at ``model.precision`` (mixed precision on CUDA); the engine is rebuilt after."""
        self._engine = None
        result = train_loop(self.model, make_batch, n_examples, self.settings, seed=self.seed, validate=validate,
                            device=self.device, dtype=self.dtype if self.device.type == "cuda" else torch.float32,
                            progress=self.show_progress)
        self._engine = None
        return result

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        write_meta(folder, {"class": type(self).__name__, "task": self.task_name, "threshold": self.threshold,
                            "params": self.params(), **self._extra_meta()})

    def _extra_meta(self) -> dict[str, Any]:
        return {}

    def load(self, folder: Path) -> None:
        meta = read_meta(folder, type(self).__name__, self._required_meta)
        check_hf_folder(folder, self.trust_remote_code)
        self._from_pretrained(str(folder))
        self.task_name, self.threshold = meta["task"], float(meta["threshold"])
        # predictions depend on the truncation length the model was trained and tuned with
        self.max_length = int(meta["params"].get("max_length", self.max_length))
        self._load_extra(meta)

    def _load_extra(self, meta: dict[str, Any]) -> None:
        pass


def train_batch_size_for(setting: int | str, device: torch.device) -> int:
    """``model.train_batch_size`` as a number (``auto``: larger on CUDA)."""
    if not (setting == "auto" or (isinstance(setting, int) and not isinstance(setting, bool) and setting >= 1)):
        raise ConfigError(f"model.train_batch_size={setting!r}: must be an integer ≥ 1 or auto")
    return train_batch_size(setting, device)


class TransformerSentenceClassifier(_TransformerScorer):
    """Sentence classification (binary tasks) or target-pair classification (sentiment)."""

    outputs = (unit_probability_output(), span_label_output())
    auto_class = "AutoModelForSequenceClassification"

    @staticmethod
    def _inputs(examples: Sequence[TextExample]) -> tuple[list[str], list[str | None] | None]:
        pairs = [e.target for e in examples]
        return [e.text for e in examples], (pairs if any(p is not None for p in pairs) else None)

    @torch.inference_mode()
    def _probabilities(self, examples: Sequence[TextExample]) -> np.ndarray:
        self.model.eval()
        out = np.zeros((len(examples), self.model.config.num_labels), dtype=np.float32)
        if not examples:
            return out
        rows, chunks = [], []
        for batch in self._batches(*self._inputs(examples)):
            chunks.append(torch.softmax(self.engine()(batch.inputs).float(), dim=-1))
            rows.append(batch.rows)
        out[np.concatenate(rows)] = torch.cat(chunks).cpu().numpy()  # the one read-back from the device
        return out

    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None:
        torch.manual_seed(self.seed)
        n_labels = len(task.class_names)
        self._from_pretrained(resolve_model_path(self.model_name_or_path), num_labels=n_labels)
        examples = task.text_examples(train)
        val = task.text_examples(validation) if validation else []
        labels = torch.tensor([e.label for e in examples])
        encoded = encode(self.tokenizer, *self._inputs(examples), self.max_length)  # tokenised once
        pad_id = self.tokenizer.pad_token_id or 0
        left = self.tokenizer.padding_side == "left"

        def make_batch(indices: list[int]) -> dict[str, torch.Tensor]:
            if not indices:
                return {}
            batch = {k: torch.from_numpy(v) for k, v in encoded.pad(indices, pad_id, left).items()}
            batch["labels"] = labels[indices]
            return batch

        def validate() -> float:
            from sklearn.metrics import average_precision_score, f1_score

            probs = self._probabilities(val)
            gold = [e.label for e in val]
            if n_labels == 2:
                return float(average_precision_score(gold, probs[:, 1])) if len(set(gold)) > 1 else 0.0
            return float(f1_score(gold, probs.argmax(1), average="macro", labels=list(range(n_labels)),
                                  zero_division=0))

        self.training_history, summary = self._train(make_batch, len(examples), validate if val else None)
        self.training_metrics = {"train.examples": float(len(examples)), **summary}
        if n_labels == 2 and val and self.tune_threshold:
            self.threshold = best_f1_threshold([e.label for e in val], self._probabilities(val)[:, 1])
        self.training_metrics["train.threshold"] = self.threshold

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.require_fitted(task)
        return task.pack(documents, self._probabilities(task.text_examples(documents, labelled_only=False)))

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]


class TransformerTokenTagger(_TransformerScorer):
    """Token classification with B/I/O tags through the tokenizer's offset mapping."""

    outputs = (span_output(),)
    auto_class = "AutoModelForTokenClassification"
    _required_meta = {"category": str}

    def _extra_meta(self) -> dict[str, Any]:
        return {"category": self.category}

    def _load_extra(self, meta: dict[str, Any]) -> None:
        self.category = meta["category"]

    @staticmethod
    def _tokens(offsets: np.ndarray, base: int, shift: int = 0) -> list[tuple[int, int, int]]:
        """(start, end, position) of real tokens, shifted by ``base`` (special tokens have empty offsets);
        ``shift``: padding before the tokens (left padding)."""
        return [(int(s) + base, int(e) + base, i + shift) for i, (s, e) in enumerate(offsets.tolist()) if e > s]

    def _sentence_units(self, docs: Sequence[Document]) -> list[tuple[Document, int, int]]:
        return [(doc, s.start, s.end) for doc in docs for s in doc.sentences]

    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None:
        torch.manual_seed(self.seed)
        self.category = task.span_category
        # B-/I-<category> label names let transformers' token-classification pipeline group them
        names = ["O", f"B-{self.category}", f"I-{self.category}"]
        self._from_pretrained(resolve_model_path(self.model_name_or_path), num_labels=len(BIO),
                              id2label=dict(enumerate(names)), label2id={t: i for i, t in enumerate(names)})
        units = self._sentence_units(train)
        gold = {doc.id: merge_overlapping((s.start, s.end) for s in doc.spans_of(self.category or ""))
                for doc in train}
        if not any(gold.values()):
            raise ConfigError(f"model needs {self.category} span annotations in the training corpus; it has none")
        # tokenised and tagged once; a batch is only padding
        encoded = encode(self.tokenizer, [doc.text[s:e] for doc, s, e in units], None, self.max_length, offsets=True)
        assert encoded.offsets is not None
        tags = []
        for (doc, start, _), offsets in zip(units, encoded.offsets):
            row = np.full(len(offsets), -100, dtype=np.int64)
            tokens = self._tokens(offsets, start)
            for (_, _, position), tag in zip(tokens, bio_tags(tokens, gold[doc.id])):
                row[position] = BIO.index(tag)
            tags.append(row)
        pad_id = self.tokenizer.pad_token_id or 0
        left = self.tokenizer.padding_side == "left"

        def make_batch(indices: list[int]) -> dict[str, torch.Tensor]:
            if not indices:
                return {}
            arrays = encoded.pad(indices, pad_id, left)
            labels = np.full(arrays["input_ids"].shape, -100, dtype=np.int64)
            for i, r in enumerate(indices):
                if left:
                    labels[i, labels.shape[1] - len(tags[r]):] = tags[r]
                else:
                    labels[i, : len(tags[r])] = tags[r]
            return {**{k: torch.from_numpy(v) for k, v in arrays.items()}, "labels": torch.from_numpy(labels)}

        val_docs = list(validation or [])

        def validate() -> float:
            from bench.metrics.spans import overlap_credit

            preds = self.predict_spans(val_docs, task)
            return overlap_credit([[(s.start, s.end) for s in p.spans] for p in preds],
                                  [[(s.start, s.end) for s in d.spans_of(self.category or "")] for d in val_docs])["f1"]

        self.task_name = task.name
        self.training_history, summary = self._train(make_batch, len(units), validate if val_docs else None)
        self.training_metrics = {"train.examples": float(len(units)), **summary}
        if val_docs and self.tune_threshold:
            self.threshold = tuned_threshold(task, val_docs, self.predict_spans(val_docs, task))
        self.training_metrics["train.threshold"] = self.threshold

    @torch.inference_mode()
    def _token_outputs(self, texts: Sequence[str]) -> list[tuple[Batch, torch.Tensor, torch.Tensor]]:
        """Per batch: P(inside a span) and the argmax tag of every token position (read back at the end)."""
        outputs = []
        for batch in self._batches(texts, None, offsets=True):
            probs = torch.softmax(self.engine()(batch.inputs).float(), dim=-1)
            outputs.append((batch, 1.0 - probs[..., 0], probs.argmax(dim=-1)))
        return [(batch, inside.cpu(), tags.cpu()) for batch, inside, tags in outputs]

    def predict_spans(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.model.eval()
        units = self._sentence_units(documents)
        results: list[tuple[list[tuple[int, int]], list[float], float]] = [([], [], 0.0)] * len(units)
        left = self.tokenizer.padding_side == "left"
        for batch, inside_all, tags_all in self._token_outputs([doc.text[s:e] for doc, s, e in units]):
            width = inside_all.shape[1]
            for row, (index, offsets) in enumerate(zip(batch.rows.tolist(), batch.offsets)):
                _, start, _ = units[index]
                tokens = self._tokens(offsets, start, width - len(offsets) if left else 0)
                inside = [float(inside_all[row, pos]) for _, _, pos in tokens]
                tags = [BIO[int(tags_all[row, pos])] for _, _, pos in tokens]
                spans = spans_from_bio(tokens, tags)
                span_scores = [float(np.mean([p for (s, e, _), p in zip(tokens, inside) if a <= s and e <= b]))
                               for a, b in spans]
                results[index] = (spans, span_scores, max(inside) if inside else 0.0)
        out, row = [], 0
        for doc in documents:
            n = len(doc.sentences)
            block = results[row : row + n]
            row += n
            spans = [Span(a, b, f"{self.category}/predicted", doc.text[a:b], score)
                     for sent_spans, scores, _ in block for (a, b), score in zip(sent_spans, scores)]
            out.append(DocumentPrediction(doc.id, spans, [score for _, _, score in block]))
        return out

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.require_fitted(task)
        return self.predict_spans(documents, task)

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]


class HFPipelineScorer(Scorer):
    """Any local path or hub id through a ``transformers`` pipeline, with a label map from config.

    ``label_map`` maps the model's labels to ``positive``/``negative`` (binary tasks) or to
    negative/neutral/positive (sentiment); for zero-shot classification its keys are the candidate
    labels. Token-classification entities whose label maps to ``positive`` become spans.
    """

    def __init__(self, model: str, pipeline_type: str, label_map: dict[str, str], batch_size: int = 32,
                 device: str = "auto", max_length: int = 256, hypothesis_template: str = "This example is {}.",
                 trust_remote_code: bool = False, threshold: float = 0.5) -> None:
        from transformers import pipeline

        if pipeline_type not in ("text-classification", "token-classification", "zero-shot-classification"):
            raise ConfigError(f"pipeline_type {pipeline_type!r} is not text-, token- or zero-shot-classification")
        self.model, self.pipeline_type, self.label_map = model, pipeline_type, dict(label_map)
        self.batch_size, self.max_length, self.hypothesis_template = batch_size, max_length, hypothesis_template
        self.threshold, self.trust_remote_code = threshold, trust_remote_code
        device_obj = pick_device(device)
        tags = pipeline_type == "token-classification"
        kwargs: dict[str, Any] = {"aggregation_strategy": "simple"} if tags else {}
        path = resolve_model_path(model)
        if Path(path).is_dir():
            check_hf_folder(Path(path), trust_remote_code)
        self.pipe = pipeline(pipeline_type, model=path, tokenizer=path, device=device_obj,
                             trust_remote_code=trust_remote_code, model_kwargs={"use_safetensors": True}, **kwargs)
        self._fingerprint_source = path

    def declared_outputs(self) -> tuple[Output, ...]:
        """Token classification marks spans; text and zero-shot classification score units over the
        task's classes (through ``label_map``)."""
        return (span_output(),) if self.pipeline_type == "token-classification" else (unit_probability_output(),)

    def content_params(self) -> dict[str, Any]:
        from bench.scorers.trainable import folder_fingerprint

        local = Path(self._fingerprint_source)
        return {"weights": folder_fingerprint(local) if local.is_dir() else "hub"}

    def _class_probs(self, outputs: list[dict[str, Any]], classes: Sequence[str]) -> list[float]:
        probs = dict.fromkeys(classes, 0.0)
        for item in outputs:
            mapped = self.label_map.get(str(item["label"]))
            if mapped in probs:
                probs[mapped] += float(item["score"])
        total = sum(probs.values())
        return [probs[c] / total if total > 0 else 1.0 / len(classes) for c in classes]

    def _classify(self, texts: list[str], classes: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if self.pipeline_type == "zero-shot-classification":
            results = self.pipe(texts, candidate_labels=list(self.label_map), batch_size=self.batch_size,
                                hypothesis_template=self.hypothesis_template)
            results = [results] if isinstance(results, dict) else results
            outputs = [[{"label": l, "score": s} for l, s in zip(r["labels"], r["scores"])] for r in results]
        else:
            outputs = self.pipe(texts, top_k=None, batch_size=self.batch_size, truncation=True,
                                max_length=self.max_length)
        return [self._class_probs(o, classes) for o in outputs]

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.check_task(task)
        if self.pipeline_type == "token-classification":
            return [self._tag(doc, task) for doc in documents]
        examples = task.text_examples(documents, labelled_only=False)
        texts = [e.text if e.target is None else f"{e.text} [{e.target}]" for e in examples]
        return task.pack(documents, self._classify(texts, task.class_names))

    def _tag(self, doc: Document, task: Task) -> DocumentPrediction:
        texts = [doc.sentence_text(s) for s in doc.sentences]
        entities = self.pipe(texts, batch_size=self.batch_size) if texts else []
        spans, scores = [], []
        for sentence, found in zip(doc.sentences, entities):
            kept = [e for e in found if self.label_map.get(str(e["entity_group"])) == "positive"]
            for e in kept:
                a, b = sentence.start + int(e["start"]), sentence.start + int(e["end"])
                spans.append(Span(a, b, f"{task.span_category}/predicted", doc.text[a:b], float(e["score"])))
            scores.append(max((float(e["score"]) for e in kept), default=0.0))
        return DocumentPrediction(doc.id, spans, scores)

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]
