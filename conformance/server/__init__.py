"""The reference server: the contract implemented over a real model. Depends on contract only."""
