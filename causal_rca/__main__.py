from causal_rca.cli.app import main

main()
