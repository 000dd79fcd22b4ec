"""At the site: stock ledger, check-in, screening, dose records, observation, corrections, imports."""
