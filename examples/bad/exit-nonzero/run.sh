#!/bin/sh
# Fails on purpose, the way a crashing model would.
echo "loading model..."
echo "error: model weights not found (this example image fails on purpose)" >&2
exit 3
