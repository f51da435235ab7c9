"""``python -m advisor.cli``: the same as ``breaker-advise``."""

from advisor.cli.app import advise_main

advise_main()
