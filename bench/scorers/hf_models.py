"""Transformer scorers: fine-tuned sentence classifier and token tagger, and a generic pipeline adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from sklearn.metrics import average_precision_score, f1_score

from bench.data.schema import Document, Span
from bench.errors import ConfigError
from bench.metrics.spans import merge_overlapping
from bench.scorers.base import DocumentPrediction, Scorer
from bench.predictions import TextExample
from bench.scorers.examples import bio_tags, spans_from_bio
from bench.scorers.hf_common import (TrainingSettings, length_sorted_batches, pick_device, resolve_model_path,
                                     train_loop)
from bench.scorers.model_files import check_hf_folder
from bench.scorers.trainable import TrainableScorer, best_f1_threshold, read_meta, tuned_threshold, write_meta
from bench.tasks import Output, Task, span_label_output, span_output, unit_probability_output

BIO = ("O", "B", "I")


def _quiet_transformers() -> None:
    """Silence the expected 'newly initialised head' report when fine-tuning a base encoder."""
    import datasets
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # "Loading weights" bars: the job shows its own progress
    datasets.disable_progress_bars()  # "Map" bars of the tokenisation


class _TransformerScorer(TrainableScorer):
    """Fine-tunes a pre-trained encoder; weights saved and loaded as safetensors."""

    auto_class: str = ""
    #: bench_meta.json entries this scorer needs beyond the common ones
    _required_meta: dict[str, type] = {}

    def __init__(self, model_name_or_path: str = "minilm", max_length: int = 128, batch_size: int = 32,
                 device: str = "auto", epochs: int = 3, train_batch_size: int = 16, learning_rate: float = 5e-5,
                 weight_decay: float = 0.01, warmup_ratio: float = 0.1, patience: int = 1,
                 max_steps_per_epoch: int | None = None, trust_remote_code: bool = False,
                 load_from: str | None = None, seed: int = 13, tune_threshold: bool = True) -> None:
        self.model_name_or_path = model_name_or_path
        self.max_length, self.batch_size, self.device_name = max_length, batch_size, device
        self.device = pick_device(device)
        self.trust_remote_code = trust_remote_code
        self.epochs, self.train_batch_size, self.learning_rate = epochs, train_batch_size, learning_rate
        self.weight_decay, self.warmup_ratio, self.patience = weight_decay, warmup_ratio, patience
        self.max_steps_per_epoch = max_steps_per_epoch
        self.settings = TrainingSettings(epochs, train_batch_size, learning_rate, weight_decay, warmup_ratio,
                                         patience, max_steps_per_epoch)
        self.model: Any = None
        self.tokenizer: Any = None
        super().__init__(load_from=load_from, seed=seed, tune_threshold=tune_threshold)

    def _from_pretrained(self, source: str, **kwargs: Any) -> None:
        import transformers

        _quiet_transformers()
        auto = getattr(transformers, self.auto_class)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, trust_remote_code=self.trust_remote_code)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ConfigError(f"{source}: a fast tokenizer is needed for character offsets")
        self.model = auto.from_pretrained(source, trust_remote_code=self.trust_remote_code, use_safetensors=True,
                                          **kwargs).to(self.device)

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


class TransformerSentenceClassifier(_TransformerScorer):
    """Sentence classification (binary tasks) or target-pair classification (sentiment)."""

    outputs = (unit_probability_output(), span_label_output())
    auto_class = "AutoModelForSequenceClassification"

    def _tokenized(self, examples: Sequence[TextExample]) -> Any:
        """All examples tokenised once, in batches, as an Arrow ``datasets.Dataset`` (no padding yet)."""
        from datasets import Dataset

        pairs = [e.target for e in examples]
        with_pairs = any(p is not None for p in pairs)
        data = Dataset.from_dict({"text": [e.text for e in examples],
                                  **({"pair": [p or "" for p in pairs]} if with_pairs else {})})

        def tokenize(batch: dict[str, list[str]]) -> Any:
            if with_pairs:
                return self.tokenizer(batch["text"], batch["pair"], truncation="longest_first",
                                      max_length=self.max_length)
            return self.tokenizer(batch["text"], truncation=True, max_length=self.max_length)

        return data.map(tokenize, batched=True, batch_size=1000, remove_columns=data.column_names,
                        keep_in_memory=True)

    def _padded(self, tokenized: Any, rows: Sequence[int]) -> dict[str, torch.Tensor]:
        """The given rows of a tokenised dataset padded to their longest, as tensors."""
        return self.tokenizer.pad(tokenized[list(rows)], return_tensors="pt")

    @torch.inference_mode()
    def _probabilities(self, examples: Sequence[TextExample]) -> np.ndarray:
        self.model.eval()
        out = np.zeros((len(examples), self.model.config.num_labels), dtype=np.float32)
        if not examples:
            return out
        tokenized = self._tokenized(examples)
        lengths = [len(ids) for ids in tokenized["input_ids"]]
        for batch in length_sorted_batches(lengths, self.batch_size):
            encoded = self._padded(tokenized, batch)
            logits = self.model(**{k: v.to(self.device) for k, v in encoded.items()}).logits
            out[batch] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        return out

    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None:
        torch.manual_seed(self.seed)
        n_labels = len(task.class_names)
        self._from_pretrained(resolve_model_path(self.model_name_or_path), num_labels=n_labels)
        examples = task.text_examples(train)
        val = task.text_examples(validation) if validation else []
        labels = torch.tensor([e.label for e in examples])

        tokenized = self._tokenized(examples)

        def make_batch(indices: list[int]) -> dict[str, torch.Tensor]:
            if not indices:
                return {}
            encoded = dict(self._padded(tokenized, indices))
            encoded["labels"] = labels[indices]
            return encoded

        def validate() -> float:
            probs = self._probabilities(val)
            gold = [e.label for e in val]
            if n_labels == 2:
                return float(average_precision_score(gold, probs[:, 1])) if len(set(gold)) > 1 else 0.0
            return float(f1_score(gold, probs.argmax(1), average="macro", labels=list(range(n_labels)),
                                  zero_division=0))

        self.training_history, summary = train_loop(self.model, make_batch, len(examples), self.settings,
                                                    seed=self.seed, validate=validate if val else None,
                                                    device=self.device, progress=self.show_progress)
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

    def _encode(self, texts: Sequence[str]) -> Any:
        return self.tokenizer(list(texts), truncation=True, padding="longest", max_length=self.max_length,
                              return_offsets_mapping=True, return_tensors="pt")

    @staticmethod
    def _tokens(offsets: torch.Tensor, mask: torch.Tensor, base: int) -> list[tuple[int, int, int]]:
        """(start, end, position) of real tokens, shifted by ``base`` (special tokens have empty offsets)."""
        return [(int(s) + base, int(e) + base, i) for i, ((s, e), m) in enumerate(zip(offsets.tolist(), mask.tolist()))
                if m and e > s]

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

        def make_batch(indices: list[int]) -> dict[str, torch.Tensor]:
            if not indices:
                return {}
            chosen = [units[i] for i in indices]
            encoded = self._encode([doc.text[s:e] for doc, s, e in chosen])
            labels = torch.full(encoded["input_ids"].shape, -100, dtype=torch.long)
            for row, (doc, start, _) in enumerate(chosen):
                tokens = self._tokens(encoded["offset_mapping"][row], encoded["attention_mask"][row], start)
                for (_, _, position), tag in zip(tokens, bio_tags(tokens, gold[doc.id])):
                    labels[row, position] = BIO.index(tag)
            encoded.pop("offset_mapping")
            return {**encoded, "labels": labels}

        val_docs = list(validation or [])

        def validate() -> float:
            from bench.metrics.spans import overlap_credit

            preds = self.predict_spans(val_docs, task)
            return overlap_credit([[(s.start, s.end) for s in p.spans] for p in preds],
                                  [[(s.start, s.end) for s in d.spans_of(self.category or "")] for d in val_docs])["f1"]

        self.task_name = task.name
        self.training_history, summary = train_loop(self.model, make_batch, len(units), self.settings,
                                                    seed=self.seed, validate=validate if val_docs else None,
                                                    device=self.device, progress=self.show_progress)
        self.training_metrics = {"train.examples": float(len(units)), **summary}
        if val_docs and self.tune_threshold:
            self.threshold = tuned_threshold(task, val_docs, self.predict_spans(val_docs, task))
        self.training_metrics["train.threshold"] = self.threshold

    @torch.inference_mode()
    def predict_spans(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.model.eval()
        units = self._sentence_units(documents)
        results: list[tuple[list[tuple[int, int]], list[float], float]] = [([], [], 0.0)] * len(units)
        for batch in length_sorted_batches([e - s for _, s, e in units], self.batch_size):
            chosen = [units[i] for i in batch]
            encoded = self._encode([doc.text[s:e] for doc, s, e in chosen])
            offsets, mask = encoded.pop("offset_mapping"), encoded["attention_mask"]
            probs = torch.softmax(self.model(**{k: v.to(self.device) for k, v in encoded.items()}).logits.float(),
                                  dim=-1).cpu().numpy()
            for row, index in enumerate(batch):
                _, start, _ = units[index]
                tokens = self._tokens(offsets[row], mask[row], start)
                inside = [1.0 - float(probs[row, pos, 0]) for _, _, pos in tokens]
                tags = [BIO[int(probs[row, pos].argmax())] for _, _, pos in tokens]
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
