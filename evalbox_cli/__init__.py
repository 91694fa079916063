"""The participant's ``evalbox`` command: submit an image, follow it, read the leaderboard.

It needs only ``requests`` (the plain ``pip install evalbox``) and the contract's reference
grammar (:mod:`compute_worker.protocol`, pure Python); it never imports Django or Docker.
"""
