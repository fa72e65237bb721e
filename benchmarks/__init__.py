"""Benchmark suites behind ``assistant eval``: each ``<suite>_bench.run(data_dir, ...)`` returns a JSON-able dict."""

__all__: list[str] = []
