#!/bin/sh
# Writes predictions the example scorer must refuse: one id that is not in the test set and
# every real id missing. The container itself exits 0.
set -eu
printf 'id,label\nnot-a-test-id,red\n' > /mnt/out/predictions.csv
echo "wrote a predictions.csv with the wrong ids"
