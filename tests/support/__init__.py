"""What the tests share besides fixtures: the harnesses that play Slack's side (in-process, over
HTTP, over Socket Mode, through the WSGI callable, in a browser), subprocess and port helpers,
the Block Kit check, catalog copies to break, and the paths of the reference data.

Fixtures live in tests/conftest.py; test files import these.
"""
