"""The local development stack: everything `make run` needs, on 127.0.0.1 only, without Docker or AWS."""
