"""Checks for the exercises of each notebook: ``from asynclab.exercises import nb04``."""
