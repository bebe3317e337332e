"""The JSON Schemas of every file chronolex reads or writes, installed as package data
(``chronolex._schemas``): the engine reads them only from here."""
