"""From a question to an answer: retrieval, extractive and generative answers, verification of quotes, conversations."""
