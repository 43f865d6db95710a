"""Favourites: signed-in buyers keep a list of products they like (a modkit module)."""
