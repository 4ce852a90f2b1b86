from genlens.cli.app import main

main()
