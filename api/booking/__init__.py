"""Registration, approval and allocation, vaccination sessions (slots), bookings."""
