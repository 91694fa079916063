#!/bin/sh
# Never finishes; the worker must enforce its wall-clock limit (it ignores SIGTERM as PID 1).
echo "thinking forever..."
exec sleep 2147483647
