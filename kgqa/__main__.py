from kgqa.cli.main import run

run()
