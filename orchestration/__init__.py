"""The S&OP platform's code location: Dagster definitions plus the plain domain modules they call."""
