"""One collector per API area; each polls one server and returns plain data.

The collectors are registered, with their options, sections and metric families, in
:mod:`eocexporter.registry`.
"""
