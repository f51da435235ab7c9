"""``python -m advisor.cli``: the same as ``breaker-advise``."""

from advisor.cli.advise import advise_main

advise_main()
