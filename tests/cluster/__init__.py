"""Several hosts on one machine, for the cluster tests and for trying the cluster.

``testbed.py`` builds and removes the bed; ``python -m tests.cluster --help``
drives it by hand; ``conftest.py`` gives it to the tests of this folder, which
``script/test`` runs in a pytest invocation of their own.
"""
