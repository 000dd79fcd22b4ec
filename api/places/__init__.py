"""Vietnam's administrative units since the 2025 reform (34 provinces, 3,321 wards/communes)."""
