"""The JSON API: participants and organizers (:mod:`.participant`) and compute workers (:mod:`.worker`)."""
