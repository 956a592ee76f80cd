"""``careplan serve``: a local web page where a nurse makes handouts without a terminal.

- ``form``: the profile form, generated from the vocabulary, and the print options.
- ``workers``: the warm single-handout worker and browser batches (the server process itself
  never imports WeasyPrint).
- ``app``: the Flask application (token, Host check, CSRF, limits, headers).
- ``server``: ``serve()``, which starts it all under waitress and stops it when idle.
"""
