"""The floor of the package: the few helpers every room shares, defined once.

Nothing here imports another ``nova_toolkit`` room (tests/test_layers.py checks it):
``similarity`` (L2-normalise, exact top-k), ``retry`` (one retry policy on botocore's retry
modes), ``aws`` (one client factory and error-code helpers), ``nova`` (the Nova model id),
``view`` (the read interface analysis, viz and sync use instead of ``Collection``) and
``atomic`` (atomic writes).
"""
