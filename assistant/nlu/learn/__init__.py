"""Learning the request→action scorer from generated data (Home Assistant's templates × many homes × noise)."""
