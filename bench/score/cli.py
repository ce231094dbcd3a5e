"""``python -m bench.score``: score a news archive (JSON lines or Parquet) into Parquet datasets.

Examples:

  python -m bench.score articles.jsonl --output scores/                       # the rule-based baselines
  python -m bench.score articles.parquet --output scores/ --sentiment none --loaded-language runs/model/
  python -m bench.score articles.jsonl --output scores/ --ray                 # a local Ray instance
  python -m bench.score /shared/articles.parquet --output /shared/scores --ray --ray-address auto
  python -m bench.score articles.jsonl --output scores/ --loaded-language minilm:/path/to/model model.device=cuda

Rerunning the same command resumes: shards already written are skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.cli.errors import EXIT_INTERRUPTED, fail, one_line_warnings
from bench.compare import VERBOSE_HINT
from bench.score.inputs import FORMATS
from bench.score.models import NONE, SIGNALS
from bench.score.runner import ScoreSettings, Summary, score_archive


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.score", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, help="articles: .jsonl (one JSON object a line) or .parquet, each with id and "
                                            "text; optional sentences ([[start, end], ...]) and metadata")
    p.add_argument("--output", "-o", type=Path, required=True,
                   help="output folder: articles/ and spans/ Parquet datasets and manifest.json")
    p.add_argument("--format", choices=FORMATS, default=None, help="input format (default: from the file suffix)")
    p.add_argument("--shard-size", type=int, default=1000,
                   help="articles per output shard, the unit of resuming and of Ray work (default: 1000)")
    for signal in SIGNALS:
        p.add_argument(signal.option, dest=signal.name, default=signal.default, metavar="MODEL",
                       help=f"model for {signal.name}: a conf/model name, a saved model folder, NAME:FOLDER, or "
                            f"{NONE} (default: {signal.default}, rule-based)")
    p.add_argument("--metadata", default=None, metavar="KEY[,KEY...]",
                   help="metadata keys/columns to keep (default: every one besides id, text, sentences)")
    p.add_argument("--no-metadata", action="store_true", help="keep no metadata")
    p.add_argument("--overwrite", action="store_true",
                   help="remove what the output folder holds and score everything again")
    p.add_argument("--ray", action="store_true", help="score on Ray actors (Ray Data map_batches)")
    p.add_argument("--ray-address", default=None,
                   help="join this Ray cluster (e.g. auto, ray://head:10001); default: RAY_ADDRESS, else start a "
                        "local instance")
    p.add_argument("--ray-cpus", type=int, default=None, help="CPUs of a local Ray instance (default: all)")
    p.add_argument("--actors", type=int, default=None,
                   help="Ray actors, each with its own models (default: one per GPU, else one per CPU)")
    p.add_argument("--gpus-per-actor", type=float, default=None,
                   help="GPUs each actor reserves (default: 1 where the cluster has GPUs, else 0; 0.5 puts two "
                        "actors on a GPU)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="a traceback on errors")
    p.add_argument("overrides", nargs="*", metavar="model.KEY=VALUE",
                   help="model settings, applied to every chosen model that has the key (e.g. model.batch_size=256)")
    return p


def settings_from(args: argparse.Namespace) -> ScoreSettings:
    metadata = [] if args.no_metadata else (
        [k.strip() for k in args.metadata.split(",") if k.strip()] if args.metadata is not None else None)
    return ScoreSettings(input=args.input, output=args.output, input_format=args.format, shard_size=args.shard_size,
                         models={s.name: getattr(args, s.name) for s in SIGNALS}, overrides=list(args.overrides),
                         metadata=metadata, overwrite=args.overwrite, progress=not args.no_progress, ray=args.ray,
                         ray_address=args.ray_address, ray_cpus=args.ray_cpus, actors=args.actors,
                         gpus_per_actor=args.gpus_per_actor)


def main(argv: list[str] | None = None) -> Summary:
    args = parser().parse_intermixed_args(argv)
    one_line_warnings()
    try:
        summary = score_archive(settings_from(args))
    except KeyboardInterrupt:
        print("newsbias-bench: interrupted; the shards written so far are kept: rerun the same command to resume",
              file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        fail(exc, args.verbose, hint=VERBOSE_HINT)
    print(summary.line())
    return summary
