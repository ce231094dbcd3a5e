"""scikit-learn scorers: TF-IDF sentence classifiers and a CRF token tagger for spans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pycrfsuite
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from sklearn_crfsuite import CRF
from tqdm.auto import tqdm

from bench.data.lexicons import curated_loaded_language, lexicon_digest
from bench.data.schema import Document, Span
from bench.errors import ConfigError, DataError
from bench.metrics.spans import merge_overlapping
from bench.scorers.base import DocumentPrediction
from bench.predictions import TextExample
from bench.scorers.examples import bio_tags, spans_from_bio, tokenize
from bench.scorers.matching import TermMatcher
from bench.scorers.model_files import MAX_VOCABULARY_BYTES, check_crfsuite, load_skops, read_json_file
from bench.scorers.trainable import TrainableScorer, best_f1_threshold, read_meta, tuned_threshold, write_meta
from bench.tasks import Task, span_label_output, span_output, unit_probability_output

def _input_text(example: TextExample) -> str:
    """The example's text; a second text (a target mention, a span to label) is appended after a marker."""
    return example.text if example.target is None else f"{example.text} [TARGET] {example.target}"


class SklearnSentenceClassifier(TrainableScorer):
    """TF-IDF word + character n-grams with logistic regression or a calibrated linear SVM."""

    outputs = (unit_probability_output(), span_label_output())

    def __init__(self, estimator: str = "logreg", word_ngrams: Sequence[int] = (1, 2),
                 char_ngrams: Sequence[int] = (2, 5), max_features: int = 200_000, C: float = 1.0,
                 class_weight: str | None = "balanced", min_df: int = 2, calibration_folds: int = 3,
                 load_from: str | None = None, seed: int = 13, tune_threshold: bool = True) -> None:
        if estimator not in ("logreg", "linear_svm"):
            raise ConfigError(f"estimator {estimator!r} is not logreg or linear_svm")
        self.estimator, self.word_ngrams, self.char_ngrams = estimator, tuple(word_ngrams), tuple(char_ngrams)
        self.max_features, self.class_weight, self.min_df = max_features, class_weight, min_df
        self.C = C
        #: one value, or candidates chosen on the validation split (average precision / macro-F1)
        self.C_grid = [float(c) for c in C] if isinstance(C, (list, tuple)) else [float(C)]
        self.chosen_C = self.C_grid[0]
        self.calibration_folds = calibration_folds
        self.pipeline: Pipeline | None = None
        self.n_classes = 0
        super().__init__(load_from=load_from, seed=seed, tune_threshold=tune_threshold)

    def _build(self) -> Pipeline:
        features = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=self.word_ngrams, min_df=self.min_df, sublinear_tf=True,
                                     max_features=self.max_features, lowercase=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, min_df=self.min_df,
                                     sublinear_tf=True, max_features=self.max_features, lowercase=True)),
        ])
        if self.estimator == "logreg":
            model: Any = LogisticRegression(C=self.chosen_C, class_weight=self.class_weight, max_iter=2000,
                                            random_state=self.seed)
        else:
            model = CalibratedClassifierCV(LinearSVC(C=self.chosen_C, class_weight=self.class_weight, random_state=self.seed),
                                           method="sigmoid", cv=self.calibration_folds)
        return Pipeline([("features", features), ("model", model)])

    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None:
        examples = task.text_examples(train)
        labels = [e.label for e in examples]
        if len(set(labels)) < 2:
            raise ConfigError(f"task {task.name!r}: the training data has a single class; cannot train")
        self.n_classes = len(task.class_names)
        binary = self.n_classes == 2
        texts = [_input_text(e) for e in examples]
        val = task.text_examples(validation) if validation else []
        val_texts, val_labels = [_input_text(e) for e in val], [e.label for e in val]
        self.training_metrics = {"train.examples": float(len(examples)), "train.validation_examples": float(len(val))}
        # the features do not depend on C: fit them once, then one classifier per candidate
        features = self._build().named_steps["features"].fit(texts)
        train_x = features.transform(texts)
        val_x = features.transform(val_texts) if val else None
        best: tuple[float, float, Pipeline] | None = None
        candidates = tqdm(self.C_grid if val else self.C_grid[:1], desc="training (C candidates)", unit="fit",
                          disable=not self.show_progress)
        for c in candidates:
            self.chosen_C = c
            model = self._build().named_steps["model"].fit(train_x, labels)
            pipeline = Pipeline([("features", features), ("model", model)])
            if len(self.C_grid) == 1 or not val:
                best = (0.0, c, pipeline)
                break
            probs = self._full(model.predict_proba(val_x), model.classes_)
            score = (average_precision_score(val_labels, probs[:, 1]) if binary and len(set(val_labels)) > 1
                     else f1_score(val_labels, probs.argmax(1), average="macro", labels=list(range(self.n_classes)),
                                   zero_division=0))
            self.training_history.append({"epoch": float(len(self.training_history) + 1), "C": c,
                                          "validation_score": float(score)})
            candidates.set_postfix(C=c, validation=f"{score:.4f}")
            if best is None or score > best[0]:
                best = (float(score), c, pipeline)
        assert best is not None
        _, self.chosen_C, self.pipeline = best
        self.training_metrics["train.C"] = self.chosen_C
        if binary and val and self.tune_threshold:
            self.threshold = best_f1_threshold(val_labels, self._probabilities(val_texts)[:, 1])
        self.training_metrics["train.threshold"] = self.threshold

    def _full(self, probs: np.ndarray, classes: Sequence[int]) -> np.ndarray:
        """Probability columns in the task's class order, zero for a class the training data lacked."""
        full = np.zeros((len(probs), self.n_classes))
        full[:, list(classes)] = probs
        return full

    def _probabilities(self, texts: list[str]) -> np.ndarray:
        assert self.pipeline is not None
        if not texts:
            return np.zeros((0, self.n_classes))
        return self._full(self.pipeline.predict_proba(texts), self.pipeline.classes_)

    def predict(self, documents: Sequence[Document], task: Task) -> list[DocumentPrediction]:
        self.require_fitted(task)
        examples = task.text_examples(documents, labelled_only=False)
        return task.pack(documents, self._probabilities([_input_text(e) for e in examples]))

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        return self.predict([doc], task)[0]

    def _vectorizers(self) -> list[tuple[str, TfidfVectorizer]]:
        assert self.pipeline is not None
        return list(self.pipeline.named_steps["features"].transformer_list)

    def save(self, folder: Path) -> None:
        """skops for the pipeline, JSON for the vocabularies.

        skops writes every dictionary entry as its own node, which takes minutes for TF-IDF
        vocabularies of 10^5 terms; they go to ``vocabulary.json`` and are put back on load.
        """
        folder.mkdir(parents=True, exist_ok=True)
        vocabularies = {name: vectorizer.vocabulary_ for name, vectorizer in self._vectorizers()}
        try:
            for _, vectorizer in self._vectorizers():
                vectorizer.vocabulary_ = {}
            sio.dump(self.pipeline, folder / "pipeline.skops")
        finally:
            for name, vectorizer in self._vectorizers():
                vectorizer.vocabulary_ = vocabularies[name]
        (folder / "vocabulary.json").write_text(
            json.dumps({name: {t: int(i) for t, i in vocab.items()} for name, vocab in vocabularies.items()},
                       ensure_ascii=False), encoding="utf-8")
        write_meta(folder, {"class": type(self).__name__, "task": self.task_name, "threshold": self.threshold,
                             "params": self.params(), "n_classes": self.n_classes, "chosen_C": self.chosen_C})

    def load(self, folder: Path) -> None:
        meta = read_meta(folder, type(self).__name__, {"n_classes": int})
        pipeline = load_skops(folder / "pipeline.skops")
        if not isinstance(pipeline, Pipeline):
            raise DataError(f"holds a {type(pipeline).__name__}, not a scikit-learn Pipeline",
                            path=str(folder / "pipeline.skops"))
        self.pipeline = pipeline
        path = folder / "vocabulary.json"
        vocabularies = read_json_file(path, MAX_VOCABULARY_BYTES, "vocabulary.json")
        for name, vectorizer in self._vectorizers():
            vocabulary = vocabularies.get(name) if isinstance(vocabularies, dict) else None
            if not isinstance(vocabulary, dict) or not all(isinstance(i, int) for i in vocabulary.values()):
                raise DataError(f"vocabulary.json has no term-to-index table for {name!r}", path=str(path))
            vectorizer.vocabulary_ = vocabulary
        self.task_name, self.threshold, self.n_classes = meta["task"], float(meta["threshold"]), meta["n_classes"]


class CRFSpanTagger(TrainableScorer):
    """A linear-chain CRF (CRFsuite) over word tokens with BIO tags, mapped back to character spans."""

    outputs = (span_output(),)

    def __init__(self, c1: float = 0.1, c2: float = 0.05, max_iterations: int = 100, window: int = 2,
                 lexicon_feature: bool = True, load_from: str | None = None, seed: int = 13,
                 tune_threshold: bool = True) -> None:
        self.c1, self.c2, self.max_iterations, self.window = c1, c2, max_iterations, window
        self.lexicon_feature = lexicon_feature
        entries = curated_loaded_language() if lexicon_feature else []
        self.matcher = TermMatcher(entries) if lexicon_feature else None
        self._lexicon_digest = lexicon_digest(entries) if lexicon_feature else None
        self.tagger: pycrfsuite.Tagger | None = None
        self.category: str | None = None
        super().__init__(load_from=load_from, seed=seed, tune_threshold=tune_threshold)

    def content_params(self) -> dict[str, Any]:
        """The lexicon feature's entries: a trained model (and its cache entry) depends on them."""
        return {"lexicon": self._lexicon_digest} if self.lexicon_feature else {}

    def _sentence_tokens(self, doc: Document) -> list[list[tuple[int, int, str]]]:
        return [tokenize(doc.sentence_text(s), s.start) for s in doc.sentences]

    def _features(self, doc: Document, tokens: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
        hits = set()
        if self.matcher is not None:
            for start, end, _ in self.matcher.find(doc.text):
                hits.update(i for i, t in enumerate(tokens) if start <= t[0] and t[1] <= end)
        words = [t[2] for t in tokens]
        feats = []
        for i, word in enumerate(words):
            lower = word.lower()
            f: dict[str, Any] = {"bias": 1.0, "w": lower, "suf3": lower[-3:], "suf2": lower[-2:], "pre3": lower[:3],
                                 "title": word.istitle(), "upper": word.isupper(), "digit": word.isdigit(),
                                 "punct": not word[0].isalnum(), "lex": i in hits}
            for d in range(1, self.window + 1):
                for sign, j in (("-", i - d), ("+", i + d)):
                    f[f"w{sign}{d}"] = words[j].lower() if 0 <= j < len(words) else ("BOS" if j < 0 else "EOS")
            feats.append(f)
        return feats

    def _fit(self, train: Sequence[Document], task: Task, validation: Sequence[Document] | None) -> None:
        self.category = task.span_category
        X, y = [], []
        for doc in train:
            gold = merge_overlapping((s.start, s.end) for s in doc.spans_of(self.category or ""))
            for tokens in self._sentence_tokens(doc):
                if tokens:
                    X.append(self._features(doc, tokens))
                    y.append(bio_tags(tokens, gold))
        if not any(tag != "O" for tags in y for tag in tags):
            raise ConfigError(f"model crf needs {self.category} span annotations in the training corpus; it has none")
        crf = CRF(algorithm="lbfgs", c1=self.c1, c2=self.c2, max_iterations=self.max_iterations,
                  all_possible_transitions=True)
        crf.fit(X, y)
        self.tagger = crf.tagger_
        self._model_bytes = Path(crf.modelfile.name).read_bytes()
        self.training_metrics = {"train.sequences": float(len(X)),
                                 "train.iterations": float(len(crf.training_log_.iterations))}
        if crf.training_log_.iterations:
            self.training_metrics["train.loss"] = float(crf.training_log_.iterations[-1]["loss"])
        self.task_name = task.name
        if validation and self.tune_threshold:
            self.threshold = tuned_threshold(task, validation, self.predict(validation, task))
        self.training_metrics["train.threshold"] = self.threshold

    def predict_document(self, doc: Document, task: Task) -> DocumentPrediction:
        self.require_fitted(task)
        assert self.tagger is not None
        spans, scores = [], []
        for tokens in self._sentence_tokens(doc):
            if not tokens:
                scores.append(0.0)
                continue
            tags = self.tagger.tag(self._features(doc, tokens))
            inside = [1.0 - self.tagger.marginal("O", i) for i in range(len(tokens))]
            scores.append(max(inside))
            for start, end in spans_from_bio(tokens, tags):
                covered = [p for (s, e, _), p in zip(tokens, inside) if start <= s and e <= end]
                spans.append(Span(start, end, f"{self.category}/predicted", doc.text[start:end],
                                  float(np.mean(covered)) if covered else None))
        return DocumentPrediction(doc.id, spans, scores)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.crfsuite").write_bytes(self._model_bytes)
        write_meta(folder, {"class": type(self).__name__, "task": self.task_name, "threshold": self.threshold,
                             "category": self.category, "params": self.params()})

    def load(self, folder: Path) -> None:
        meta = read_meta(folder, type(self).__name__, {"category": str})
        check_crfsuite(folder / "model.crfsuite")
        self._model_bytes = (folder / "model.crfsuite").read_bytes()
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(folder / "model.crfsuite"))
        self.task_name, self.threshold, self.category = meta["task"], float(meta["threshold"]), meta["category"]
