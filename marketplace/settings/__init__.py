"""Settings modes: ``dev`` (the embedded default), ``test`` and ``production``.

Everything that differs between machines comes from the environment (see ``base``).
"""
