"""Bundled data files of geo (a package so that they ship with it): see README.md."""
