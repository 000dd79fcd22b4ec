"""Sổ Sức Khỏe API: the Flask application and its domain packages."""
