"""``python -m bench.score``: see :mod:`bench.score.cli`."""

from bench.score.cli import main

if __name__ == "__main__":
    main()
