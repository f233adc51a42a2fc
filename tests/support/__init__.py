"""Loopback servers and helpers the tests share, imported as ``support`` (tests/ is on pytest's pythonpath).

``fake_server`` (one switch per fault), ``hostile_server``, ``framing_server``
with ``framing_table``, ``load_server``, ``openai_upstream`` (a stand-in for
vLLM's OpenAI server), ``reference_server`` (the tiny model built once per
process), ``results_builder`` (synthetic results for the report), ``samples``,
``processes`` (the CLI as a child process), ``chromium``; ``vllm_stand_in/`` is
a stand-in ``vllm`` package put on sys.path by the tests that need it.
The benchmarks import these too, with tests/ put on sys.path by hand.
"""
