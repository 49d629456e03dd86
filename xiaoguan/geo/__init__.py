"""Places: the bundled table of Chinese cities (province, coordinates) and which sales region each belongs to."""
