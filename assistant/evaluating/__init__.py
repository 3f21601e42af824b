"""Evaluation sets beside SQuAD: the FANG-COVID news questions, and the hard unanswerable variant of any set."""
