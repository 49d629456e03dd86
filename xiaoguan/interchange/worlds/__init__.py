"""Sample worlds bundled as package data (the `data/` folder of a world, zipped; never its `truth/`)."""
