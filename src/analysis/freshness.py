def register_cli(sub):
    pass
