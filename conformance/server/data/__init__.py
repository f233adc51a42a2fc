"""Data files of the reference server: the text the tiny model's tokenizer is trained on."""
