"""Coverage-guided fuzz targets (atheris, libFuzzer underneath): the authorizer, its DPoP checks, the handler.

`python -m fuzz [authorizer|dpop|handler] [--seconds N]` runs each target from its committed seed corpus
(fuzz/corpus/TARGET/); new interesting inputs go to a scratch corpus under .local/fuzz/, crashes and oracle
violations to .local/fuzz/TARGET-crash-*. Any crash fails the run. CI runs each for about 60 s
(`make fuzz FUZZ_SECONDS=60`); `make fuzz` runs longer.
"""
