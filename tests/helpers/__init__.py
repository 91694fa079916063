"""Everything the tests share: factories, fixtures, processes, images, stubs and the service rule.

Test modules and conftest files import from here and never from each other. The fixture
modules (``*_fixtures.py``) and :mod:`tests.helpers.markers` are registered once, as plugins,
by ``tests/conftest.py``; a directory's conftest only adds the fixtures of that directory.
"""
